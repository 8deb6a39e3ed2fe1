using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FaultCampaign;

/// <summary>The campaign's figures; <see cref="LastLine"/> is what scripts and the test read.</summary>
public sealed record CampaignReport(int Lifecycles, int Leaked, int Misbound, int Stuck, int DelFailures, int Crashes,
    int Secrets, int LogDefects, int HarnessErrors, TimeSpan Elapsed)
{
    public string LastLine => $"{Lifecycles} lifecycles, {Leaked} leaked, {Misbound} misbound, {Stuck} stuck, {DelFailures} del-failures, {Crashes} crashes";

    /// <summary>Every figure is zero (also the ones not on the last line: secrets, log defects, harness errors).</summary>
    public bool Passed => Leaked + Misbound + Stuck + DelFailures + Crashes + Secrets + LogDefects + HarnessErrors == 0;
}

public sealed partial class Campaign
{
    const int ExamplesPerClass = 4;

    CampaignReport Report(Stopwatch clock, TimeSpan elapsedAtChecks, JsonNode[] history, JsonNode[] requests, LogFigures log, MutatingCalls calls,
        CallOutcome gc, int pendingEips, int pendingRecords)
    {
        var lives = lifecycles.Values.OrderBy(l => l.Number).ToArray();
        var attempts = lives.SelectMany(l => l.Attempts).ToArray();
        var all = attempts.SelectMany(a => a.Calls).Concat(finalCalls).ToArray();
        var w = output;
        w.WriteLine();
        w.WriteLine($"== figures (seed {o.Seed}; checked {elapsedAtChecks.TotalSeconds:0} s after the start, right after the last DEL)");
        w.WriteLine($"   pods: {lives.Length} ({lives.Count(l => l.Kind == PodKind.Automatic)} automatic EIP, {lives.Count(l => l.Kind == PodKind.UserSpecified)} user-specified EIP, " +
            $"{lives.Count(l => l.Kind == PodKind.NoEip)} without); sandboxes {attempts.Length}; pods that never started after {o.MaxAttempts} sandboxes: {lives.Count(l => !l.Started)}");
        foreach (var verb in all.GroupBy(c => c.Verb).OrderBy(g => g.Key, StringComparer.Ordinal))
            w.WriteLine($"   {verb.Key,-10} {verb.Count(),5} calls: " + string.Join(", ", verb.GroupBy(c => c.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}")) +
                (verb.Any(c => c.Kind == CallKind.CniError) ? "; error codes " + string.Join(" ", verb.Where(c => c.Kind == CallKind.CniError)
                    .GroupBy(c => $"{c.Code}{(c.Plugin is "eip-cni" or null ? "" : "/" + c.Plugin)}").OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}")) : ""));
        w.WriteLine($"   sandbox plans: {attempts.Count(a => a.Plan.Clean)} without fault; " + string.Join(", ", new (string, Func<AttemptPlan, bool>)[]
        {
            ("cloud error", p => p.Faults.Any(f => f.Rule["code"] is not null && f.Rule["afterApply"] is null)),
            ("lost answer", p => p.Faults.Any(f => f.Rule["afterApply"] is not null)),
            ("late answer", p => p.Faults.Any(f => f.Rule["stallMs"] is not null)),
            ("SIGKILL at ADD deadline", p => p.AddDeadlineMs is not null), ("SIGKILL at DEL deadline", p => p.DelDeadlineMs is not null),
            ("duplicate ADD (sequential)", p => p.Scenario == AddScenario.DuplicateSequential), ("duplicate ADD (concurrent)", p => p.Scenario == AddScenario.DuplicateConcurrent),
            ("DEL during ADD", p => p.Scenario == AddScenario.DelDuringAdd), ("console unbind/delete", p => p.OutOfBand != OutOfBand.None),
        }.Select(k => $"{attempts.Count(a => k.Item2(a.Plan))} {k.Item1}")));
        w.WriteLine($"   cloud requests: {requests.Length} ({requests.Count(r => r["mutating"]?.GetValue<bool>() == true)} mutating, " +
            $"{requests.Count(r => r["httpStatus"]?.GetValue<int>() is not 200)} not answered 200, {requests.Count(r => r["clientGone"]?.GetValue<bool>() == true)} answered after the client gave up); " +
            $"EIPs allocated: {history.Count(e => Str(e, "allocatedBy") == "api")}");
        w.WriteLine("   cloud error answers by code: " + string.Join(", ", requests.Where(r => Str(r, "code").Length > 0).GroupBy(r => $"{Str(r, "action")} {Str(r, "code")}")
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}")));

        var leaked = findings.Count("leaked");
        var duplicates = findings.Count("duplicate");
        var misAdd = findings.Count("misbound-add");
        var misDel = findings.Count("misbound-del");
        var userEip = findings.Count("user-eip");
        w.WriteLine($"   1 leaked: {leaked} EIP(s) the run created still allocated after the final pass");
        w.WriteLine($"   2 misbound at ADD: {misAdd} successful ADD(s) whose pod IP did not carry exactly the pod's EIP, InUse");
        w.WriteLine($"   3 misbound at DEL: {misDel} successful DEL(s) that left the sandbox's EIP associated");
        w.WriteLine($"   4 duplicates: {duplicates} time(s) a container had two EIPs at once (counted in leaked)");
        w.WriteLine($"   5 user EIPs: {userEip} release/modification/loss of a user-specified EIP (counted in misbound)");
        w.WriteLine($"   6 del-failures: {findings.Count("del-failure")} sandbox(es) whose DEL kept failing with no fault left");
        w.WriteLine($"   7 crashes: {findings.Count("crash")} call(s) where eip-cni exited without exactly one CNI error (999, garbage, nothing); " +
            $"{all.Count(c => c.Kind == CallKind.Killed)} call(s) SIGKILLed by the runtime at its deadline (not crashes)");
        w.WriteLine($"   8 secrets: {findings.Count("secret")} place(s) carrying the AccessKey ID or secret (log, state dir, cnitool output, API server)");
        w.WriteLine($"   9 stuck: {findings.Count("stuck")} journal record(s) left after the final pass: " +
            string.Join(", ", findings.Of("stuck").GroupBy(v => v.What.Split(',')[0]).Select(g => $"{g.Count()} {g.Key.Replace("journal record left: ", "", StringComparison.Ordinal)}")));
        w.WriteLine($"  10 mutating cloud calls per fault-free automatic lifecycle (minimum 4: Allocate, Associate, Unassociate, Release): " +
            Spread(calls.FaultFree) + $"; in a bandwidth package (minimum 6, + Add/RemoveCommonBandwidthPackageIp): {Spread(calls.FaultFreeInPackage)}" +
            $"; every automatic lifecycle: mean {(calls.Automatic.Length == 0 ? 0 : calls.Automatic.Average()):0.0}, max {(calls.Automatic.Length == 0 ? 0 : calls.Automatic.Max())}");
        w.WriteLine($"      log: {log.Lines} lines, {log.Torn} not JSON, {log.ResultLines} result lines, {log.Lost} missing for finished calls, {log.Extra} more than calls");
        w.WriteLine($"   deferred work when the last DEL returned: {pendingEips} EIP(s) of the run still allocated, {pendingRecords} journal record(s); " +
            $"the final pass (`cnitool gc` with no list, what the agent runs; {gc.Brief}) must finish all of it");
        if (findings.Count("harness") > 0) w.WriteLine($"   HARNESS ERRORS: {findings.Count("harness")} (the campaign itself failed; see below)");
        w.WriteLine($"   runtime: {clock.Elapsed.TotalSeconds:0} s");

        if (findings.ByClass().Any())
        {
            w.WriteLine();
            w.WriteLine($"== violations (up to {ExamplesPerClass} examples per class; reproduce with --seed {o.Seed} --lifecycles {o.Lifecycles} --workers {o.Workers})");
            var logLines = chain.LogLines();
            foreach (var group in findings.ByClass())
            {
                w.WriteLine($"-- {group.Key}: {group.Count()}");
                foreach (var v in group.Take(ExamplesPerClass)) Example(v, requests, logLines);
            }
        }

        var report = new CampaignReport(o.Lifecycles, leaked + duplicates, misAdd + misDel + userEip, findings.Count("stuck"), findings.Count("del-failure"),
            findings.Count("crash"), findings.Count("secret"), log.Torn + log.Lost + log.Extra, findings.Count("harness"), clock.Elapsed);
        w.WriteLine();
        w.WriteLine(report.LastLine);
        return report;
    }

    static string Spread(int[] sorted) =>
        sorted.Length == 0 ? "none" : $"min {sorted[0]} / median {sorted[sorted.Length / 2]} / max {sorted[^1]} over {sorted.Length}";

    /// <summary>One violation with what a product engineer needs: the sandbox, its plan, its calls, the faults around, the cloud's log.</summary>
    void Example(Violation v, JsonNode[] requests, string[] logLines)
    {
        var w = output;
        w.WriteLine($"   * lifecycle {v.Lifecycle} sandbox {v.Attempt} container {v.ContainerId} IP {v.Ip ?? "?"} EIP {v.EipId ?? "?"}");
        w.WriteLine($"     {v.What}");
        if (!lifecycles.TryGetValue(v.Lifecycle, out var life)) return;
        w.WriteLine($"     pod {life.PodName} ({life.Kind}{(life.UserEipId is null ? "" : " " + life.UserEipId)}{(life.InBandwidthPackage ? ", in a bandwidth package" : "")})");
        var from = life.Attempts.Count > 0 ? life.Attempts[0].Start : v.At;
        foreach (var a in life.Attempts)
        {
            w.WriteLine($"     sandbox {a.Attempt} {a.ContainerId} IP {a.Ip ?? "?"}: {a.Plan.Describe()}");
            foreach (var c in a.Calls) w.WriteLine($"       {c.Started:HH:mm:ss.fff} {c.Brief}");
            foreach (var n in a.Notes) w.WriteLine($"       {n}");
        }
        var to = life.Attempts.LastOrDefault()?.End ?? v.At;
        var around = lifecycles.Values.SelectMany(l => l.Attempts.Select(a => (l, a))).SelectMany(x => x.a.FaultsPosted.Select(f => (x.l, f.At, f.Fault)))
            .Where(x => x.At >= from.AddSeconds(-10) && x.At <= to).OrderBy(x => x.At).ToArray();
        if (around.Length > 0)
        {
            w.WriteLine($"     faults posted by any pod from 10 s before this pod's first sandbox to its end ({around.Length}{(around.Length > 15 ? ", last 15" : "")}):");
            foreach (var (l, at, f) in around.TakeLast(15)) w.WriteLine($"       {at:HH:mm:ss.fff} lifecycle {l.Number}: {f.Describe()}");
        }
        var keys = new HashSet<string>(life.Attempts.Select(a => a.ContainerId), StringComparer.Ordinal);
        if (v.EipId is not null) keys.Add(v.EipId);
        if (life.UserEipId is not null) keys.Add(life.UserEipId);
        var mine = requests.Where(r => keys.Any(k => Names(r, k))).ToArray();
        w.WriteLine($"     cloud requests naming the pod's containers or EIPs, in arrival order ({mine.Length}{(mine.Length > 25 ? ", first 25" : "")}):");
        foreach (var r in mine.OrderBy(r => r["seq"]!.GetValue<long>()).Take(25)) w.WriteLine("       " + RequestLine(r));
        var results = logLines.Where(l => keys.Any(k => l.Contains(k, StringComparison.Ordinal)) && (l.Contains("\"msg\":\"done\"", StringComparison.Ordinal) ||
            l.Contains("\"msg\":\"failed\"", StringComparison.Ordinal) || l.Contains("\"level\":\"warn\"", StringComparison.Ordinal) || l.Contains("\"level\":\"error\"", StringComparison.Ordinal))).ToArray();
        if (results.Length > 0)
        {
            w.WriteLine($"     eip-cni log (results, warnings, errors; {results.Length}{(results.Length > 12 ? ", first 12" : "")}):");
            foreach (var l in results.Take(12)) w.WriteLine("       " + CallOutcome.Shorten(l, 400));
        }
    }
}

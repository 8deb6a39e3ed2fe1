using System.Globalization;
using System.Text.Json.Nodes;

namespace FaultCampaign;

/// <summary>The invariants, judged from the simulators' state and request log.</summary>
public sealed partial class Campaign
{
    static readonly string[] Bound = ["InUse", "Associating", "Unassociating"];

    /// <summary>
    /// Invariant 2: when ADD returns success the pod's EIP is InUse on (ENI, pod IP) and no other EIP is on that IP;
    /// a pod without an EIP has none on its IP.
    /// </summary>
    void CheckBoundAtAdd(LifecycleRecord life, AttemptRecord record, Sandbox sb, CallOutcome add)
    {
        var ip = sb.Ip;
        if (ip is null)
        {
            findings.Add(new Violation("harness", life.Number, record.Attempt, sb.ContainerId, null, null, "successful ADD without a pod IP"));
            return;
        }
        var eips = world.Eips().Select(e => e!).ToArray();
        var onIp = eips.Where(e => Str(e, "networkInterfaceId") == primaryEni && Str(e, "privateIpAddress") == ip && Bound.Contains(Str(e, "status"))).ToArray();
        bool Ours(JsonNode e) => life.UserEipId is { } u ? Str(e, "allocationId") == u : Tag(e, ContainerTag) == sb.ContainerId;
        string? problem = null;
        if (life.Kind == PodKind.NoEip)
        {
            if (onIp.Length > 0) problem = "a pod without an EIP got an IP that still carries an EIP";
        }
        else if (onIp.Length == 0) problem = "no EIP is bound to the pod IP";
        else if (onIp.Length > 1) problem = "more than one EIP on the pod IP";
        else if (!Ours(onIp[0])) problem = "the EIP on the pod IP is not this sandbox's";
        else if (Str(onIp[0], "status") != "InUse") problem = $"the pod's EIP is {Str(onIp[0], "status")}, not InUse";
        if (problem is null) return;
        var mine = eips.Where(Ours).Select(Describe);
        findings.Add(new Violation("misbound-add", life.Number, record.Attempt, sb.ContainerId, ip, onIp.Length > 0 ? Str(onIp[0], "allocationId") : life.UserEipId,
            $"{problem} when {add.Verb} returned at {add.Ended:HH:mm:ss.fff}\n      on {ip}: {string.Join(", ", onIp.Select(Describe))}\n      the sandbox's: {string.Join(", ", mine)}"));
    }

    /// <summary>Invariant 3: when DEL returns success no EIP the plugin bound for the sandbox is still associated.</summary>
    void CheckUnboundAtDel(LifecycleRecord life, AttemptRecord record, Sandbox sb)
    {
        if (life.Kind == PodKind.NoEip) return;
        var eips = world.Eips().Select(e => e!).ToArray();
        // The user's EIP counts on this sandbox's IP only (a binding left on an earlier sandbox's IP was counted then).
        var still = eips.Where(e => Bound.Contains(Str(e, "status")) &&
            (life.UserEipId is { } u ? Str(e, "allocationId") == u && (sb.Ip is null || Str(e, "privateIpAddress") == sb.Ip) : Tag(e, ContainerTag) == sb.ContainerId)).ToArray();
        if (still.Length == 0) return;
        findings.Add(new Violation("misbound-del", life.Number, record.Attempt, sb.ContainerId, sb.Ip, Str(still[0], "allocationId"),
            $"DEL returned success at {DateTimeOffset.UtcNow:HH:mm:ss.fff} while the sandbox's EIP is still associated: {string.Join(", ", still.Select(Describe))}"));
    }

    static string Describe(JsonNode e) =>
        $"{Str(e, "allocationId")} {Str(e, "status")}{(Str(e, "privateIpAddress") is { Length: > 0 } ip ? " on " + ip : "")}" +
        $"{(Tag(e, ContainerTag) is { Length: > 0 } c ? " (container " + c + ")" : "")}{(Str(e, "allocatedBy") == "seed" ? " (user's)" : "")}";

    /// <summary>The end: faults cleared, pending DELs finished, then the invariants that look at the whole run.</summary>
    CampaignReport Finish(System.Diagnostics.Stopwatch clock)
    {
        world.ClearFaults();
        var cleared = DateTimeOffset.UtcNow;
        output.WriteLine($"   all lifecycles done after {clock.Elapsed.TotalSeconds:0} s; faults cleared; {pendingDel.Count} sandbox(es) still waiting for a successful DEL");

        // Invariant 6: once faults are cleared, every DEL succeeds within ~20 retries over ~60 s.
        while (pendingDel.TryDequeue(out var p))
        {
            var (life, record) = byContainer[p.Sandbox.ContainerId];
            if (DelUntilSuccess(life, record, p.Sandbox, tries: 20, firstDeadlineMs: null, gapMs: 3000)) p.Sandbox.Dispose();
            else
            {
                findings.Add(new Violation("del-failure", life.Number, record.Attempt, record.ContainerId, record.Ip, null,
                    "DEL still fails after 20 retries over 60 s with no fault left: " + record.Calls.Last().Brief));
                p.Sandbox.Dispose();
            }
        }

        // A stall that fired before the faults were cleared may still commit: wait it out, then let Releasing finish.
        var quiet = cleared + TimeSpan.FromMilliseconds(Volatile.Read(ref maxStallMs) + 1000);
        if (quiet > DateTimeOffset.UtcNow) Thread.Sleep(quiet - DateTimeOffset.UtcNow);
        WaitForReleasing();
        var elapsedAtChecks = clock.Elapsed;

        var history = world.EipHistory().Select(e => e!).ToArray();
        var alive = world.Eips().Select(e => e!).ToArray();
        var requests = world.CloudRequests().Select(r => r!).ToArray();

        CheckDuplicates(history);
        CheckUserEips(alive, requests);
        var log = CheckLog();
        CheckSecrets();
        var calls = MutatingCallsPerLifecycle(history, requests);

        // Deferred work is part of the contract: a DEL may succeed with the release of an already unbound EIP still
        // due, or an allocation in doubt, and a later DEL, GC or the agent finishes it. The last pods leave no later
        // DEL, so one CNI GC with no list (what the agent runs on every node) is the pass that must finish everything;
        // leaks and stuck records are judged after it. What was pending before it is reported for information.
        var pendingEips = alive.Count(e => Str(e, "allocatedBy") == "api");
        var pendingRecords = JournalRecords().Length;
        var gc = runtime.Cnitool("gc", null);
        finalCalls.Add(gc);
        if (gc.Kind == CallKind.Crash) findings.Add(new Violation("crash", 0, 0, "", null, null, "GC: " + gc.Brief));
        WaitForReleasing();
        CheckLeaks(world.Eips().Select(e => e!).ToArray());
        CheckStuck();

        return Report(clock, elapsedAtChecks, history, requests, log, calls, gc, pendingEips, pendingRecords);
    }

    void WaitForReleasing()
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(20);
        while (world.Eips().Any(e => Str(e!, "status") == "Releasing") && DateTimeOffset.UtcNow < until) Thread.Sleep(100);
    }

    (LifecycleRecord? Life, AttemptRecord? Attempt) Owner(string? containerId) =>
        containerId is not null && byContainer.TryGetValue(containerId, out var o) ? o : (null, null);

    /// <summary>Invariant 1: no EIP the run created (allocatedBy "api") is left.</summary>
    void CheckLeaks(JsonNode[] alive)
    {
        foreach (var e in alive.Where(e => Str(e, "allocatedBy") == "api"))
        {
            var (life, attempt) = Owner(Tag(e, ContainerTag));
            findings.Add(new Violation("leaked", life?.Number ?? 0, attempt?.Attempt ?? -1, Tag(e, ContainerTag), attempt?.Ip, Str(e, "allocationId"),
                $"EIP left at the end: {Describe(e)}, allocated {Str(e, "allocationTime")}"));
        }
    }

    /// <summary>Invariant 4: never two EIPs for one container at once (overlapping [allocationTime, releaseTime)).</summary>
    void CheckDuplicates(JsonNode[] history)
    {
        static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        foreach (var group in history.Where(e => Str(e, "allocatedBy") == "api" && Tag(e, ContainerTag).Length > 0).GroupBy(e => Tag(e, ContainerTag)))
        {
            var spans = group.Select(e => (Eip: e, From: T(Str(e, "allocationTime")), To: Str(e, "releaseTime") is { Length: > 0 } r ? T(r) : DateTimeOffset.MaxValue))
                .OrderBy(s => s.From).ToArray();
            for (var i = 1; i < spans.Length; i++)
            {
                var overlapping = spans.Take(i).Where(s => s.To > spans[i].From).ToArray();
                if (overlapping.Length == 0) continue;
                var (life, attempt) = Owner(group.Key);
                findings.Add(new Violation("duplicate", life?.Number ?? 0, attempt?.Attempt ?? -1, group.Key, attempt?.Ip, Str(spans[i].Eip, "allocationId"),
                    $"a second EIP for the container while {string.Join(", ", overlapping.Select(s => Str(s.Eip, "allocationId")))} was still allocated: " +
                    string.Join("; ", spans.Select(s => $"{Str(s.Eip, "allocationId")} [{s.From:HH:mm:ss.fff}, {(s.To == DateTimeOffset.MaxValue ? "alive" : s.To.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture))})"))));
            }
        }
    }

    JsonObject[] JournalRecords()
    {
        var dir = Path.Combine(chain.StateDir, "networks", chain.NetName);
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir, "*.json").Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => JsonNode.Parse(File.ReadAllText(f)) as JsonObject ?? new JsonObject { ["unreadable"] = f }).ToArray();
    }

    /// <summary>Invariant 9: journal records that no DEL finished.</summary>
    void CheckStuck()
    {
        foreach (var r in JournalRecords())
        {
            var cid = Str(r, "containerId");
            var (life, attempt) = Owner(cid);
            findings.Add(new Violation("stuck", life?.Number ?? 0, attempt?.Attempt ?? -1, cid, Str(r, "privateIp"), Str(r, "allocationId"),
                $"journal record left: phase {Str(r, "phase")}, origin {Str(r, "origin")}, lastError {Str(r, "lastError")}"));
        }
    }

    static readonly string[] UserEipForbidden = ["ReleaseEipAddress", "TagResources", "AddCommonBandwidthPackageIp", "RemoveCommonBandwidthPackageIp"];

    /// <summary>Invariant 5: user-specified EIPs are never released or modified, and still exist at the end.</summary>
    void CheckUserEips(JsonNode[] alive, JsonNode[] requests)
    {
        foreach (var life in lifecycles.Values.Where(l => l.UserEipId is not null))
        {
            var id = life.UserEipId!;
            if (!alive.Any(e => Str(e, "allocationId") == id))
                findings.Add(new Violation("user-eip", life.Number, -1, "", null, id, "the user's EIP no longer exists"));
            foreach (var r in requests.Where(r => UserEipForbidden.Contains(Str(r, "action")) && Names(r, id)))
                findings.Add(new Violation("user-eip", life.Number, -1, "", null, id, $"the plugin sent {Str(r, "action")} for the user's EIP: {RequestLine(r)}"));
        }
    }

    static bool Names(JsonNode request, string value) =>
        request["params"] is JsonObject p && p.Any(kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) && (s == value || s.Split(',').Contains(value)));

    /// <summary>Invariant 10 (log half): every line is JSON, and every finished eip-cni call left exactly one result line.</summary>
    LogFigures CheckLog()
    {
        var lines = chain.LogLines();
        var torn = 0;
        var results = new Dictionary<(string, string), int>();
        foreach (var line in lines)
        {
            JsonObject? o;
            try { o = JsonNode.Parse(line) as JsonObject; }
            catch (System.Text.Json.JsonException) { o = null; }
            if (o is null)
            {
                torn++;
                findings.Add(new Violation("log", 0, -1, "", null, null, "a log line is not JSON: " + CallOutcome.Shorten(line, 300)));
                continue;
            }
            if (Str(o, "msg") is "done" or "failed" && o["command"] is not null)
            {
                var key = (Str(o, "containerId"), Str(o, "command"));
                results[key] = results.GetValueOrDefault(key) + 1;
            }
        }
        var expected = new Dictionary<(string, string), (int Min, int Max)>();
        var allCalls = lifecycles.Values.SelectMany(l => l.Attempts.ToArray()).SelectMany(a => a.Calls);
        foreach (var c in allCalls)
        {
            var key = (c.ContainerId, c.Verb.Replace("-direct", "", StringComparison.Ordinal));
            var (min, max) = c.ExpectedLogLines;
            var had = expected.GetValueOrDefault(key);
            expected[key] = (had.Min + min, had.Max + max);
        }
        int lost = 0, extra = 0;
        foreach (var (key, (min, max)) in expected)
        {
            var actual = results.GetValueOrDefault(key);
            if (actual < min)
            {
                lost += min - actual;
                var (life, attempt) = Owner(key.Item1);
                findings.Add(new Violation("log", life?.Number ?? 0, attempt?.Attempt ?? -1, key.Item1, attempt?.Ip, null,
                    $"{key.Item2}: {actual} result line(s) in the log for at least {min} finished call(s)"));
            }
            if (actual > max) extra += actual - max;
        }
        return new LogFigures(lines.Length, torn, results.Values.Sum(), lost, extra);
    }

    /// <summary>Invariant 8: no AccessKey in the log, the state dir, or anything the API server got.</summary>
    void CheckSecrets()
    {
        var logLines = chain.LogLines();
        foreach (var line in logLines.Where(HasSecret).Take(1))
            findings.Add(new Violation("secret", 0, -1, "", null, null, $"the plugin's log carries the {WhichSecret(line)} ({logLines.Count(HasSecret)} line(s)): {Masked(line)}"));
        if (Directory.Exists(chain.StateDir))
            foreach (var f in Directory.GetFiles(chain.StateDir, "*", SearchOption.AllDirectories))
                if (File.ReadAllText(f) is var text && HasSecret(text))
                    findings.Add(new Violation("secret", 0, -1, "", null, null, $"the state file {f} carries the {WhichSecret(text)}"));
        if (HasSecret(world.KubeEvents().ToJsonString()) || HasSecret(world.KubeRequests().ToJsonString()))
            findings.Add(new Violation("secret", 0, -1, "", null, null, "an event or API server request carries the AccessKey"));
        foreach (var life in lifecycles.Values)
            if (HasSecret(world.Pod(life.PodName).ToJsonString()))
                findings.Add(new Violation("secret", life.Number, -1, "", null, null, $"pod {life.PodName} carries the AccessKey"));
    }

    string WhichSecret(string text) => text.Contains(secrets[0], StringComparison.Ordinal) ? "AccessKey secret" : "AccessKey ID";

    string Masked(string text) => CallOutcome.Shorten(secrets.Aggregate(text, (t, s) => t.Replace(s, "<" + WhichSecret(s) + ">", StringComparison.Ordinal)), 400);

    /// <summary>
    /// Invariant 10: mutating cloud calls per lifecycle, attributed through the EIP history (container-id tag, the
    /// user's EIP ID). Fault-free = an automatic pod with one clean sandbox whose every request was answered 200.
    /// </summary>
    MutatingCalls MutatingCallsPerLifecycle(JsonNode[] history, JsonNode[] requests)
    {
        var eipToLife = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in history)
        {
            if (Owner(Tag(e, ContainerTag)).Life is { } l) eipToLife[Str(e, "allocationId")] = l.Number;
        }
        foreach (var l in lifecycles.Values.Where(l => l.UserEipId is not null)) eipToLife[l.UserEipId!] = l.Number;
        var mutating = new Dictionary<int, int>();
        var failed = new HashSet<int>();
        foreach (var r in requests)
        {
            int? life = null;
            if (r["params"] is JsonObject p)
                foreach (var (_, v) in p)
                {
                    if (v is not JsonValue jv || !jv.TryGetValue<string>(out var s)) continue;
                    if (eipToLife.TryGetValue(s, out var n)) { life = n; break; }
                    if (Owner(s).Life is { } owner) { life = owner.Number; break; } // a container-id tag (Allocate, Describe by tag)
                }
            if (life is not { } ln) continue;
            if (r["mutating"]?.GetValue<bool>() == true) mutating[ln] = mutating.GetValueOrDefault(ln) + 1;
            if (r["httpStatus"]?.GetValue<int>() != 200 || r["clientGone"]?.GetValue<bool>() == true) failed.Add(ln);
        }
        int[] Clean(bool inPackage) => lifecycles.Values.Where(l => l.Kind == PodKind.Automatic && l.InBandwidthPackage == inPackage && l.Started
                && l.Attempts.Count == 1 && l.Attempts[0].Plan.Clean && !failed.Contains(l.Number))
            .Select(l => mutating.GetValueOrDefault(l.Number)).Order().ToArray();
        var automatic = lifecycles.Values.Where(l => l.Kind == PodKind.Automatic).Select(l => mutating.GetValueOrDefault(l.Number)).ToArray();
        return new MutatingCalls(Clean(false), Clean(true), automatic);
    }

    static string RequestLine(JsonNode r)
    {
        var p = r["params"] as JsonObject;
        string P(string k) => p?[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        var keys = new[] { "AllocationId", "PrivateIpAddress", "IpInstanceId", "ResourceId.1" }.Where(k => P(k).Length > 0).Select(k => $"{k}={P(k)}");
        var cid = p?.Where(kv => kv.Key.StartsWith("Tag.", StringComparison.Ordinal) && kv.Key.EndsWith(".Value", StringComparison.Ordinal))
            .Select(kv => kv.Value?.GetValue<string>() ?? "").FirstOrDefault(v => v.StartsWith("soak-", StringComparison.Ordinal));
        if (cid is not null) keys = keys.Append("container=" + cid);
        var token = r["clientToken"]?.GetValue<string>() is { Length: > 0 } t ? " token=" + t[..Math.Min(12, t.Length)] + "…" : "";
        // The log records a request when it ends: show when it arrived and how long it took.
        var ended = DateTimeOffset.Parse(Str(r, "time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var ms = r["ms"]?.GetValue<long>() ?? 0;
        return $"#{r["seq"]} {ended.AddMilliseconds(-ms):HH:mm:ss.fff} {Str(r, "action")} {string.Join(" ", keys)}{token} -> {r["httpStatus"]}{(Str(r, "code") is { Length: > 0 } c ? " " + c : "")}" +
            $"{(r["clientGone"]?.GetValue<bool>() == true ? " (client gone)" : "")} after {ms} ms";
    }
}

/// <summary>What the plugin's log file held.</summary>
public sealed record LogFigures(int Lines, int Torn, int ResultLines, int Lost, int Extra);

/// <summary>Mutating cloud calls per lifecycle: fault-free automatic ones (without and with a bandwidth package), all automatic ones.</summary>
public sealed record MutatingCalls(int[] FaultFree, int[] FaultFreeInPackage, int[] Automatic);

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace FaultCampaign;

/// <summary>
/// A seeded fault campaign that behaves like kubelet + containerd on one node: several pods start at once through the
/// real libcni chain (bridge + host-local on a small range, then the published eip-cni) against both simulators. A
/// failed ADD gets DEL, then a new sandbox (new container ID) of the same pod; a failed DEL is retried with a short
/// backoff until it succeeds; every sandbox finally gets DEL. Faults are drawn per sandbox from the seed. Every
/// invariant is judged from the simulators' state and request log, never from the plugin's claims.
/// </summary>
public sealed partial class Campaign : IDisposable
{
    const string WantsEip = "network.alibabacloud.com/pod-with-eip";
    const string UserEipAnnotation = "network.alibabacloud.com/pod-eip-instanceid";
    const string PackageAnnotation = "network.alibabacloud.com/eip-common-bandwidth-package-id";
    const string ContainerTag = "eip-cni.alibabacloud.com/container-id";

    readonly CampaignOptions o;
    readonly TextWriter output;
    readonly TempDir scratch = new("eipcni-soak");
    readonly EipWorld world;
    readonly CniChain chain;
    readonly NodeRuntime runtime;
    readonly Findings findings = new();
    readonly ConcurrentDictionary<int, LifecycleRecord> lifecycles = new();
    readonly ConcurrentDictionary<string, (LifecycleRecord Life, AttemptRecord Attempt)> byContainer = new();
    readonly ConcurrentQueue<(Sandbox Sandbox, AttemptRecord Attempt)> pendingDel = new();
    readonly List<CallOutcome> finalCalls = [];
    readonly string primaryEni;
    readonly string[] secrets;
    int maxStallMs;

    Campaign(CampaignOptions options, TextWriter output)
    {
        o = options;
        this.output = output;
        // A quota far above what the run needs: a leak must show as a leak, not as every later ADD failing with 101.
        var seedFile = scratch.File("world.json");
        File.WriteAllText(seedFile, """{"quota": 1000}""");
        world = EipWorld.WithCloudFlags("--seed", seedFile, "--associate-ms", $"{o.AssociateMs}", "--unassociate-ms", $"{o.UnassociateMs}",
            "--release-ms", $"{o.ReleaseMs}", "--throttle", "off");
        chain = world.Chain(rangeStart: o.RangeStart, rangeEnd: o.RangeEnd, edit: p =>
        {
            p["addTimeoutSeconds"] = o.AddTimeoutSeconds;
            p["delTimeoutSeconds"] = o.DelTimeoutSeconds;
        });
        runtime = new NodeRuntime(chain, o);
        primaryEni = world.PrimaryEniId;
        secrets = [world.AccessKeySecret, world.AccessKeyId];
    }

    /// <summary>Runs the whole campaign and reports it on <paramref name="output"/>; the last line is the summary.</summary>
    public static CampaignReport Run(CampaignOptions options, TextWriter output)
    {
        using var c = new Campaign(options, output);
        return c.Run();
    }

    CampaignReport Run()
    {
        var clock = Stopwatch.StartNew();
        output.WriteLine($"== fault campaign: seed {o.Seed}, {o.Lifecycles} lifecycles, {o.Workers} workers, budgets ADD {o.AddTimeoutSeconds} s / DEL {o.DelTimeoutSeconds} s, " +
            $"host-local {o.RangeStart}-{o.RangeEnd}, associate/unassociate/release {o.AssociateMs}/{o.UnassociateMs}/{o.ReleaseMs} ms");
        var next = 0;
        var done = 0;
        var workers = Enumerable.Range(0, o.Workers).Select(w => new Thread(() =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) <= o.Lifecycles)
            {
                try
                {
                    RunLifecycle(n);
                }
                catch (Exception e)
                {
                    findings.Add(new Violation("harness", n, -1, "", null, null, e.ToString()));
                }
                var d = Interlocked.Increment(ref done);
                if (d % 50 == 0 || d == o.Lifecycles) lock (output) output.WriteLine($"   {d}/{o.Lifecycles} lifecycles after {clock.Elapsed.TotalSeconds:0} s");
            }
        }) { IsBackground = true, Name = $"pod-worker-{w}" }).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        var report = Finish(clock);
        return report;
    }

    // ------------------------------------------------------------------------------------------------ one pod's life

    void RunLifecycle(int n)
    {
        var rnd = new Random(unchecked(o.Seed * 1_000_003 + n));
        var roll = rnd.NextDouble();
        var kind = roll < 0.70 ? PodKind.Automatic : roll < 0.85 ? PodKind.UserSpecified : PodKind.NoEip;
        var pod = $"soak-{n}";
        var annotations = new Dictionary<string, string>();
        string? userEip = null;
        var inPackage = kind == PodKind.Automatic && rnd.Next(4) == 0;
        if (kind == PodKind.Automatic) annotations[WantsEip] = "true";
        if (inPackage) annotations[PackageAnnotation] = world.BandwidthPackageId;
        if (kind == PodKind.UserSpecified)
        {
            userEip = world.CreateUserEip()["allocationId"]!.GetValue<string>(); // one fresh user EIP per such pod
            annotations[UserEipAnnotation] = userEip;
        }
        world.CreatePod(pod, annotations);
        var caps = CniChain.PodAnnotations(annotations.Select(kv => (kv.Key, kv.Value)).ToArray());
        var life = new LifecycleRecord(n, kind, pod, userEip, inPackage);
        lifecycles[n] = life;

        for (var attempt = 0; attempt < o.MaxAttempts && !life.Started; attempt++)
        {
            var plan = AttemptPlan.Draw(rnd, kind, o);
            var cid = $"soak-{o.Seed}-{n}-{attempt}";
            var record = new AttemptRecord(attempt, cid, plan);
            lock (life.Attempts) life.Attempts.Add(record);
            byContainer[cid] = (life, record);
            var sb = new Sandbox(n, attempt, cid, pod, caps);

            var running = Add(life, record, sb, annotations);
            if (running)
            {
                ConsoleUser(life, record, sb);
                Thread.Sleep(plan.RunMs);
            }
            Post(record, "del");
            if (DelUntilSuccess(life, record, sb, tries: 10, firstDeadlineMs: plan.DelDeadlineMs, gapMs: null)) sb.Dispose();
            else pendingDel.Enqueue((sb, record)); // the runtime keeps retrying in the background; kubelet goes on
            record.End = DateTimeOffset.UtcNow;
            life.Started = running;
            if (!running) Thread.Sleep(rnd.Next(50, 250)); // kubelet's backoff before the next sandbox
        }
    }

    void Post(AttemptRecord record, string phase)
    {
        foreach (var f in record.Plan.Faults.Where(f => f.Phase == phase))
        {
            world.CloudFault((JsonObject)f.Rule.DeepClone());
            record.Posted(f);
            if (f.Rule["stallMs"] is { } s) InterlockedMax(ref maxStallMs, s.GetValue<int>());
        }
    }

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    /// <summary>ADD as the plan says; true when the runtime counts the sandbox as up (the pod runs).</summary>
    bool Add(LifecycleRecord life, AttemptRecord record, Sandbox sb, IReadOnlyDictionary<string, string> annotations)
    {
        var plan = record.Plan;
        Post(record, "add");
        switch (plan.Scenario)
        {
            case AddScenario.Plain:
            {
                var add = Call(life, record, () => runtime.Cnitool("add", sb, plan.AddDeadlineMs));
                LearnIp(record, sb, add);
                if (add.Ok) CheckBoundAtAdd(life, record, sb, add);
                return add.Ok;
            }
            case AddScenario.DuplicateSequential:
            {
                var first = Call(life, record, () => runtime.Cnitool("add", sb, plan.AddDeadlineMs));
                LearnIp(record, sb, first);
                if (!first.Ok) return false;
                CheckBoundAtAdd(life, record, sb, first);
                var again = Call(life, record, () => runtime.DirectAdd(sb, first.Stdout, annotations));
                if (again.Ok) CheckBoundAtAdd(life, record, sb, again);
                return again.Ok; // a runtime that re-sends ADD acts on the answer it got last
            }
            case AddScenario.DuplicateConcurrent:
            {
                var first = Task.Factory.StartNew(() => Call(life, record, () => runtime.Cnitool("add", sb, plan.AddDeadlineMs)), TaskCreationOptions.LongRunning);
                // The second ADD starts as soon as host-local has given the sandbox its IP: both then meet in eip-cni.
                string? ip = null;
                while (!first.IsCompleted && (ip = runtime.ReservedIp(sb.ContainerId)) is null) Thread.Sleep(10);
                if (ip is null)
                {
                    var only = first.Result;
                    LearnIp(record, sb, only);
                    if (!only.Ok) return false;
                    ip = sb.Ip!;
                }
                var prev = new JsonObject
                {
                    ["cniVersion"] = "1.0.0",
                    ["interfaces"] = new JsonArray(new JsonObject { ["name"] = "eth0", ["sandbox"] = sb.Netns.Path }),
                    ["ips"] = new JsonArray(new JsonObject { ["address"] = ip + "/24", ["interface"] = 0 }),
                };
                var second = Task.Factory.StartNew(() => Call(life, record, () => runtime.DirectAdd(sb, prev.ToJsonString(), annotations)), TaskCreationOptions.LongRunning);
                var (a, b) = (first.Result, second.Result);
                LearnIp(record, sb, a);
                sb.Ip ??= ip;
                record.Ip ??= ip;
                if (a.Ok && b.Ok) CheckBoundAtAdd(life, record, sb, a.Ended > b.Ended ? a : b);
                return b.Ok;
            }
            case AddScenario.DelDuringAdd:
            {
                var add = Task.Factory.StartNew(() => Call(life, record, () => runtime.Cnitool("add", sb, plan.AddDeadlineMs)), TaskCreationOptions.LongRunning);
                Thread.Sleep(plan.DelDuringAddDelayMs);
                sb.Ip ??= runtime.ReservedIp(sb.ContainerId);
                var del = Task.Factory.StartNew(() => Call(life, record, () => runtime.Cnitool("del", sb)), TaskCreationOptions.LongRunning);
                LearnIp(record, sb, add.Result);
                _ = del.Result;
                return false; // kubelet stopped this sandbox: the final DEL below, then a new sandbox
            }
            default:
                throw new InvalidOperationException(plan.Scenario.ToString());
        }
    }

    void LearnIp(AttemptRecord record, Sandbox sb, CallOutcome add)
    {
        if (add.Ok && add.Verb == "ADD")
        {
            sb.AddResult = add.Stdout;
            sb.Ip = JsonNode.Parse(add.Stdout)!["ips"]![0]!["address"]!.GetValue<string>().Split('/')[0];
        }
        sb.Ip ??= runtime.ReservedIp(sb.ContainerId);
        record.Ip ??= sb.Ip;
    }

    /// <summary>A console user unbinds or deletes the pod's EIP while the pod runs.</summary>
    void ConsoleUser(LifecycleRecord life, AttemptRecord record, Sandbox sb)
    {
        if (record.Plan.OutOfBand == OutOfBand.None) return;
        var id = life.UserEipId ?? world.Eips().FirstOrDefault(e => Tag(e!, ContainerTag) == sb.ContainerId && Str(e!, "status") == "InUse")?["allocationId"]?.GetValue<string>();
        if (id is null) { record.Notes.Add($"console {record.Plan.OutOfBand}: no InUse EIP of the sandbox to act on"); return; }
        try
        {
            if (record.Plan.OutOfBand == OutOfBand.Delete) world.ConsoleDelete(id);
            else world.ConsoleUnassociate(id, immediate: record.Plan.OutOfBand == OutOfBand.UnbindNow);
            record.Notes.Add($"console {record.Plan.OutOfBand} of {id} at {DateTimeOffset.UtcNow:HH:mm:ss.fff}");
        }
        catch (InvalidOperationException e)
        {
            record.Notes.Add($"console {record.Plan.OutOfBand} of {id} refused: {e.Message}");
        }
    }

    /// <summary>DEL until it succeeds, with a short backoff (containerd retries a failed StopPodSandbox).</summary>
    bool DelUntilSuccess(LifecycleRecord life, AttemptRecord record, Sandbox sb, int tries, int? firstDeadlineMs, int? gapMs)
    {
        for (var i = 0; i < tries; i++)
        {
            var del = Call(life, record, () => runtime.Cnitool("del", sb, i == 0 ? firstDeadlineMs : null));
            if (del.Ok)
            {
                CheckUnboundAtDel(life, record, sb);
                return true;
            }
            Thread.Sleep(gapMs ?? Math.Min(200 << i, 2000));
        }
        return false;
    }

    /// <summary>Every call goes through here: invariant 7 (one CNI error JSON or exit 0) and 8 (no secret in its output).</summary>
    CallOutcome Call(LifecycleRecord life, AttemptRecord record, Func<CallOutcome> call)
    {
        var r = call();
        record.Add(r);
        if (r.Kind == CallKind.Crash)
            findings.Add(new Violation("crash", life.Number, record.Attempt, record.ContainerId, record.Ip, null, r.Brief + $"\n      stdout: {CallOutcome.Shorten(r.Stdout, 400)}\n      stderr: {CallOutcome.Shorten(r.Stderr, 400)}"));
        if (HasSecret(r.Stdout + r.Stderr))
            findings.Add(new Violation("secret", life.Number, record.Attempt, record.ContainerId, record.Ip, null,
                $"{r.Verb} output carries the {WhichSecret(r.Stdout + r.Stderr)}: {Masked(r.Stdout + r.Stderr)}"));
        return r;
    }

    bool HasSecret(string text) => secrets.Any(s => s.Length > 0 && text.Contains(s, StringComparison.Ordinal));

    static string Str(JsonNode n, string key) => n[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
    static string Tag(JsonNode eip, string key) => eip["tags"]?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public void Dispose()
    {
        while (pendingDel.TryDequeue(out var p)) p.Sandbox.Dispose();
        chain.Dispose();
        world.Dispose();
        scratch.Dispose();
    }
}

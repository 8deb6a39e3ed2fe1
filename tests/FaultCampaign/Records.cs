using System.Collections.Concurrent;

namespace FaultCampaign;

/// <summary>One pod of the campaign: what it asks for and every sandbox the runtime made for it.</summary>
public sealed class LifecycleRecord(int number, PodKind kind, string podName, string? userEipId, bool inBandwidthPackage)
{
    /// <summary>An automatic EIP that joins the world's shared bandwidth package (Add/RemoveCommonBandwidthPackageIp).</summary>
    public bool InBandwidthPackage { get; } = inBandwidthPackage;
    public int Number { get; } = number;
    public PodKind Kind { get; } = kind;
    public string PodName { get; } = podName;
    public string? UserEipId { get; } = userEipId;
    public List<AttemptRecord> Attempts { get; } = [];
    /// <summary>A sandbox of the pod came up (an ADD the runtime counts as successful).</summary>
    public bool Started { get; set; }
}

/// <summary>One sandbox (container ID) of a pod: its plan, the faults posted for it and every call made for it.</summary>
public sealed class AttemptRecord(int attempt, string containerId, AttemptPlan plan)
{
    readonly Lock gate = new();
    readonly List<CallOutcome> calls = [];
    readonly List<(DateTimeOffset At, CloudFault Fault)> posted = [];

    public int Attempt { get; } = attempt;
    public string ContainerId { get; } = containerId;
    public AttemptPlan Plan { get; } = plan;
    public string? Ip { get; set; }
    public DateTimeOffset Start { get; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? End { get; set; }
    public List<string> Notes { get; } = [];

    public void Add(CallOutcome call) { lock (gate) calls.Add(call); }
    public CallOutcome[] Calls { get { lock (gate) return [.. calls]; } }
    public void Posted(CloudFault fault) { lock (gate) posted.Add((DateTimeOffset.UtcNow, fault)); }
    public (DateTimeOffset At, CloudFault Fault)[] FaultsPosted { get { lock (gate) return [.. posted]; } }
}

/// <summary>A broken invariant, with what is needed to find it again (seed, lifecycle, container, IP, EIP).</summary>
public sealed record Violation(string Class, int Lifecycle, int Attempt, string ContainerId, string? Ip, string? EipId, string What)
{
    public DateTimeOffset At { get; } = DateTimeOffset.UtcNow;
}

/// <summary>Every violation found, by class.</summary>
public sealed class Findings
{
    readonly ConcurrentQueue<Violation> all = new();

    public void Add(Violation v) => all.Enqueue(v);
    public Violation[] Of(params string[] classes) => all.Where(v => classes.Contains(v.Class)).ToArray();
    public int Count(params string[] classes) => all.Count(v => classes.Contains(v.Class));
    public IEnumerable<IGrouping<string, Violation>> ByClass() => all.GroupBy(v => v.Class).OrderBy(g => g.Key, StringComparer.Ordinal);
}

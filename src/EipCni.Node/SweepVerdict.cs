using EipCni.Cloud;
using EipCni.Cni;

namespace EipCni.Node;

/// <summary>
/// The sweep's judgement of one EIP as it was listed, and, once acted upon, what came of it. <see cref="ToString"/> is
/// the line <c>gc --cluster</c> prints: ID, public IP, pod, node, decision, reason (and outcome).
/// </summary>
public sealed record SweepVerdict(EipAddress Eip, string Pod, string Node, SweepDecision Decision, string Reason)
{
    /// <summary>Unbind first: the EIP was listed bound (to an IP no live pod has).</summary>
    public bool Unbind { get; init; }

    /// <summary>The metric label of a release: pod_gone, kept_expired or node_gone.</summary>
    public string? Why { get; init; }

    public ReleaseStrategy Strategy { get; init; } = ReleaseStrategy.Follow;

    /// <summary>What acting on it did ("released", "failed: …"); null when it was not acted upon.</summary>
    public string? Outcome { get; init; }

    /// <summary>The decision as printed: keep, wait, release, unbind+release, keep-for-pod, unbind+keep-for-pod.</summary>
    public string Action => Decision switch
    {
        SweepDecision.Keep => "keep",
        SweepDecision.Wait => "wait",
        SweepDecision.Release => Unbind ? "unbind+release" : "release",
        _ => Unbind ? "unbind+keep-for-pod" : "keep-for-pod",
    };

    public override string ToString() =>
        $"{Eip.AllocationId}\t{Dash(Eip.IpAddress)}\t{Dash(Pod)}\t{Dash(Node)}\t{Action}\t{Reason}" + (Outcome is null ? "" : $"\t{Outcome}");

    private static string Dash(string? s) => string.IsNullOrEmpty(s) ? "-" : s;
}

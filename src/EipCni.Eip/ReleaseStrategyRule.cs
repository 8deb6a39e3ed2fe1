using EipCni.Cni;

namespace EipCni.Eip;

/// <summary>
/// Which release strategy ADD applies: the annotation's for an EIP the plugin allocates for a pod owned by a stateful
/// kind (<c>statefulWorkloadKinds</c>), else Follow with a warning. ADD and <c>eip-cni-agent explain</c> share it.
/// </summary>
public static class ReleaseStrategyRule
{
    /// <summary>True when the pod's controller decides the strategy (so ADD must know the owner).</summary>
    public static bool NeedsOwner(EipRequest request) => request.Automatic && request.ReleaseStrategy.Kind != ReleaseKind.Follow;

    /// <summary>The strategy applied, and the Warning event's sentence when the annotation's was ignored.</summary>
    public static (ReleaseStrategy Strategy, string? Ignored) Effective(EipRequest request, string? controllerKind, IReadOnlyList<string> statefulKinds)
    {
        var strategy = request.ReleaseStrategy;
        if (!NeedsOwner(request)) return (strategy, null);
        if (controllerKind is not null && statefulKinds.Contains(controllerKind, StringComparer.Ordinal)) return (strategy, null);
        return (ReleaseStrategy.Follow,
            $"pod-eip-release-strategy {strategy} applies only to pods owned by {string.Join(", ", statefulKinds)}; this pod is owned by {controllerKind ?? "nothing"}, so its EIP follows the pod");
    }
}

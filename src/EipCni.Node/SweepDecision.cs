namespace EipCni.Node;

/// <summary>What the sweep does with one EIP of this cluster.</summary>
public enum SweepDecision
{
    /// <summary>Leave it alone (live, kept on purpose, a user's, bound to a live pod, or not judgeable now).</summary>
    Keep,

    /// <summary>Its node is gone, but not yet for the grace period: looked at again in later passes.</summary>
    Wait,

    /// <summary>Give it back: unbind if still bound, then release.</summary>
    Release,

    /// <summary>Its node is gone and its pod keeps its EIP (Never, TTL): unbind if still bound, then mark it kept for the pod identity.</summary>
    Retain,
}

namespace EipCni.Node;

/// <summary>What the node GC works on and how often.</summary>
public sealed record NodeGcOptions
{
    /// <summary>The plugin's state dir: every network's journal under <c>networks/</c>.</summary>
    public required string StateDir { get; init; }

    public required string ClusterId { get; init; }

    /// <summary>The Kubernetes node this agent runs on: its pods are listed with <c>spec.nodeName</c>.</summary>
    public required string NodeName { get; init; }

    /// <summary>Time between passes (containerd 1.6/1.7 never calls CNI GC; this is what finishes the node's leftovers).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>One pass's budget; records it does not reach wait for the next (each record gets at most 10 s).</summary>
    public TimeSpan PassBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the pod list may take before the API server counts as unreachable for this pass.</summary>
    public TimeSpan ListBudget { get; init; } = TimeSpan.FromSeconds(30);
}

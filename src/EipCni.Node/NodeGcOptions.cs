namespace EipCni.Node;

/// <summary>What a node GC pass works on and how long it may take (the agent's <see cref="NodeWork"/> schedules the passes).</summary>
public sealed record NodeGcOptions
{
    /// <summary>The plugin's state dir: every network's journal under <c>networks/</c>.</summary>
    public required string StateDir { get; init; }

    public required string ClusterId { get; init; }

    /// <summary>The Kubernetes node this agent runs on: its pods are listed with <c>spec.nodeName</c>.</summary>
    public required string NodeName { get; init; }

    /// <summary>One pass's budget; records it does not reach wait for the next (each record gets at most 10 s).</summary>
    public TimeSpan PassBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the pod list may take before the API server counts as unreachable for this pass.</summary>
    public TimeSpan ListBudget { get; init; } = TimeSpan.FromSeconds(30);
}

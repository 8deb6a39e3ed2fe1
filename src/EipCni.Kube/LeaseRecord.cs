namespace EipCni.Kube;

/// <summary>A coordination.k8s.io/v1 Lease as the agent's elector sees it. ResourceVersion is null for one not yet created.</summary>
public sealed record LeaseRecord(
    string Namespace,
    string Name,
    string? HolderIdentity,
    int? LeaseDurationSeconds,
    DateTimeOffset? AcquireTime,
    DateTimeOffset? RenewTime,
    int? LeaseTransitions,
    string? ResourceVersion = null);

namespace EipCni.Kube;

/// <summary>The parts of a Pod eip-cni reads: identity, annotations, owners, readiness gates, node and conditions.</summary>
public sealed record PodView(
    string Namespace,
    string Name,
    string Uid,
    string ResourceVersion,
    string? NodeName,
    string? Phase,
    IReadOnlyDictionary<string, string> Annotations,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<PodOwner> Owners,
    IReadOnlyList<string> ReadinessGates,
    IReadOnlyList<PodCondition> Conditions,
    IReadOnlyList<string> PodIPs)
{
    /// <summary>True when spec.readinessGates declares this condition type (only then should eip-cni set the condition).</summary>
    public bool HasReadinessGate(string conditionType) => ReadinessGates.Contains(conditionType, StringComparer.Ordinal);

    public PodCondition? FindCondition(string type) => Conditions.FirstOrDefault(c => c.Type == type);

    /// <summary>The owner marked controller: true (a ReplicaSet, StatefulSet, ...), if any.</summary>
    public PodOwner? Controller => Owners.FirstOrDefault(o => o.Controller);
}

/// <summary>One metadata.ownerReferences entry.</summary>
public sealed record PodOwner(string ApiVersion, string Kind, string Name, string Uid, bool Controller);

/// <summary>One status.conditions entry.</summary>
public sealed record PodCondition(string Type, string Status, string? Reason, string? Message, DateTimeOffset? LastTransitionTime);

/// <summary>Severity of a Kubernetes Event.</summary>
public enum PodEventType { Normal, Warning }

/// <summary>An Event to record on a pod. <paramref name="Reason"/> is a short UpperCamelCase word (EipBound, EipFailed).</summary>
public sealed record PodEvent(string Namespace, string PodName, string? PodUid, PodEventType Type, string Reason, string Message);

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

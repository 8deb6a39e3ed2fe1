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
    IReadOnlyList<string> PodIPs) : IKubeObject
{
    /// <summary>True when spec.readinessGates declares this condition type (only then should eip-cni set the condition).</summary>
    public bool HasReadinessGate(string conditionType) => ReadinessGates.Contains(conditionType, StringComparer.Ordinal);

    public PodCondition? FindCondition(string type) => Conditions.FirstOrDefault(c => c.Type == type);

    /// <summary>The owner marked controller: true (a ReplicaSet, StatefulSet, ...), if any.</summary>
    public PodOwner? Controller => Owners.FirstOrDefault(o => o.Controller);
}

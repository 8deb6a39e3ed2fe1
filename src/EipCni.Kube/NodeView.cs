namespace EipCni.Kube;

/// <summary>The parts of a Node the agent reads: identity, labels, the cloud's instance reference and internal addresses.</summary>
public sealed record NodeView(
    string Name,
    string Uid,
    string ResourceVersion,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    string? ProviderId,
    bool Unschedulable,
    IReadOnlyList<string> InternalIps) : IKubeObject
{
    string IKubeObject.Namespace => "";
}

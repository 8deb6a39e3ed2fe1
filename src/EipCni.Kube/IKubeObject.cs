namespace EipCni.Kube;

/// <summary>What every object an informer caches has: its key (namespace, name), identity and version.</summary>
public interface IKubeObject
{
    /// <summary>Empty for a cluster-scoped object.</summary>
    string Namespace { get; }
    string Name { get; }
    string Uid { get; }
    string ResourceVersion { get; }
}

namespace EipCni.Kube;

/// <summary>A ConfigMap's identity and its <c>data</c> (binaryData is not read).</summary>
public sealed record ConfigMapView(string Namespace, string Name, string Uid, string ResourceVersion, IReadOnlyDictionary<string, string> Data)
    : IKubeObject
{
    /// <summary>Never prints the values: eni_conf carries an AccessKey pair.</summary>
    public override string ToString() =>
        $"ConfigMap {Namespace}/{Name} (resourceVersion {ResourceVersion}, keys: {string.Join(", ", Data.Keys.Order(StringComparer.Ordinal))})";
}

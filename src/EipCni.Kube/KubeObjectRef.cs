namespace EipCni.Kube;

/// <summary>The object an Event is about (its <c>involvedObject</c>).</summary>
public sealed record KubeObjectRef(string ApiVersion, string Kind, string Namespace, string Name, string? Uid)
{
    public static KubeObjectRef ConfigMap(ConfigMapView configMap) =>
        new("v1", "ConfigMap", configMap.Namespace, configMap.Name, configMap.Uid);
}

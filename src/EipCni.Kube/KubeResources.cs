namespace EipCni.Kube;

/// <summary>The resource types the agent lists and watches.</summary>
public static class KubeResources
{
    public static readonly KubeResource<PodView> Pods = new KubeResource<PodDto, PodView>("pods",
        ns => ns is null ? "/api/v1/pods" : $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods",
        KubeJsonContext.Default.PodDto, KubeJsonContext.Default.ListDtoPodDto, dto => KubeClient.ToView(dto, "", ""));

    public static readonly KubeResource<ConfigMapView> ConfigMaps = new KubeResource<ConfigMapDto, ConfigMapView>("configmaps",
        ns => ns is null ? "/api/v1/configmaps" : $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/configmaps",
        KubeJsonContext.Default.ConfigMapDto, KubeJsonContext.Default.ListDtoConfigMapDto, dto => KubeClient.ToView(dto, "", ""));
}

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    /// <summary>The ConfigMap, or null when it does not exist.</summary>
    public async Task<ConfigMapView?> GetConfigMapAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var dto = await SendAsync(HttpMethod.Get, $"{KubeResources.ConfigMaps.CollectionPath(ns)}/{Escape(name)}", null, null,
                KubeJsonContext.Default.ConfigMapDto, RetryConflicts.No, cancellationToken).ConfigureAwait(false);
            return ToView(dto, ns, name);
        }
        catch (KubeException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    internal static ConfigMapView ToView(ConfigMapDto dto, string ns, string name)
    {
        var meta = dto.Metadata ?? new ObjectMetaDto();
        return new ConfigMapView(meta.Namespace ?? ns, meta.Name ?? name, meta.Uid ?? "", meta.ResourceVersion ?? "",
            dto.Data ?? new Dictionary<string, string>());
    }
}

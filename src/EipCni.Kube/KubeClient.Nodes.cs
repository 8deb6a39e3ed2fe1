namespace EipCni.Kube;

public sealed partial class KubeClient
{
    /// <summary>Reads the node. Throws <see cref="KubeException"/> (IsNotFound for a missing node).</summary>
    public async Task<NodeView> GetNodeAsync(string name, CancellationToken cancellationToken)
    {
        var dto = await SendAsync(HttpMethod.Get, $"/api/v1/nodes/{Escape(name)}", null, null, KubeJsonContext.Default.NodeDto,
            RetryConflicts.No, cancellationToken).ConfigureAwait(false);
        var meta = dto.Metadata ?? new ObjectMetaDto();
        return new NodeView(
            meta.Name ?? name,
            meta.Uid ?? "",
            meta.ResourceVersion ?? "",
            meta.Labels ?? new Dictionary<string, string>(),
            meta.Annotations ?? new Dictionary<string, string>(),
            string.IsNullOrEmpty(dto.Spec?.ProviderId) ? null : dto.Spec.ProviderId,
            dto.Spec?.Unschedulable == true,
            (dto.Status?.Addresses ?? []).Where(a => a.Type == "InternalIP").Select(a => a.Address).OfType<string>().ToList());
    }
}

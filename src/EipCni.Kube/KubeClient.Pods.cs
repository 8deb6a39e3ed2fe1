using System.Text.Json;

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    private static string PodPath(string ns, string name) => $"/api/v1/namespaces/{Escape(ns)}/pods/{Escape(name)}";

    public async Task<PodView> GetPodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var dto = await SendAsync(HttpMethod.Get, PodPath(ns, name), null, null, KubeJsonContext.Default.PodDto,
            RetryConflicts.No, cancellationToken).ConfigureAwait(false);
        return ToView(dto, ns, name);
    }

    public async Task<PodView> PatchPodAnnotationsAsync(string ns, string name, IReadOnlyDictionary<string, string?> annotations,
        CancellationToken cancellationToken)
    {
        var patch = new AnnotationsPatchDto { Metadata = new AnnotationsMetaDto { Annotations = new Dictionary<string, string?>(annotations) } };
        var body = JsonSerializer.SerializeToUtf8Bytes(patch, KubeJsonContext.Default.AnnotationsPatchDto);
        // No resourceVersion in the patch: annotations we own are last-writer-wins, so a 409 is safe to retry.
        var dto = await SendAsync(HttpMethod.Patch, PodPath(ns, name), body, "application/merge-patch+json",
            KubeJsonContext.Default.PodDto, RetryConflicts.Yes, cancellationToken).ConfigureAwait(false);
        return ToView(dto, ns, name);
    }

    public async Task<PodView> PatchPodConditionAsync(string ns, string name, string type, string status, string reason, string message,
        CancellationToken cancellationToken)
    {
        if (status is not ("True" or "False" or "Unknown"))
            throw new ArgumentException($"condition status must be True, False or Unknown, not \"{status}\"", nameof(status));
        // lastTransitionTime is "now": eip-cni sets the condition once per sandbox ADD, which is a transition for that pod.
        var condition = new PodConditionDto
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastTransitionTime = KubeTime.Seconds(_time.GetUtcNow()),
        };
        var patch = new ConditionPatchDto { Status = new ConditionPatchStatusDto { Conditions = [condition] } };
        var body = JsonSerializer.SerializeToUtf8Bytes(patch, KubeJsonContext.Default.ConditionPatchDto);
        var dto = await SendAsync(HttpMethod.Patch, PodPath(ns, name) + "/status", body, "application/strategic-merge-patch+json",
            KubeJsonContext.Default.PodDto, RetryConflicts.Yes, cancellationToken).ConfigureAwait(false);
        return ToView(dto, ns, name);
    }

    internal static PodView ToView(PodDto dto, string ns, string name)
    {
        var meta = dto.Metadata ?? new ObjectMetaDto();
        return new PodView(
            meta.Namespace ?? ns,
            meta.Name ?? name,
            meta.Uid ?? "",
            meta.ResourceVersion ?? "",
            dto.Spec?.NodeName,
            dto.Status?.Phase,
            meta.Annotations ?? new Dictionary<string, string>(),
            meta.Labels ?? new Dictionary<string, string>(),
            (meta.OwnerReferences ?? []).Select(o => new PodOwner(o.ApiVersion ?? "", o.Kind ?? "", o.Name ?? "", o.Uid ?? "", o.Controller == true)).ToList(),
            (dto.Spec?.ReadinessGates ?? []).Select(g => g.ConditionType).OfType<string>().ToList(),
            (dto.Status?.Conditions ?? []).Where(c => c.Type is not null)
                .Select(c => new PodCondition(c.Type!, c.Status ?? "Unknown", c.Reason, c.Message, KubeTime.Parse(c.LastTransitionTime))).ToList(),
            (dto.Status?.PodIPs ?? []).Select(p => p.Ip).OfType<string>().ToList());
    }
}

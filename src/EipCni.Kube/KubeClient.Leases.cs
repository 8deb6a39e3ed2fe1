using System.Text.Json;

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    private static string LeasesPath(string ns) => $"/apis/coordination.k8s.io/v1/namespaces/{Escape(ns)}/leases";

    public async Task<LeaseRecord?> GetLeaseAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var dto = await SendAsync(HttpMethod.Get, $"{LeasesPath(ns)}/{Escape(name)}", null, null, KubeJsonContext.Default.LeaseDto,
                RetryConflicts.No, cancellationToken).ConfigureAwait(false);
            return ToRecord(dto, ns, name);
        }
        catch (KubeException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public async Task<LeaseRecord?> TryCreateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(ToDto(lease with { ResourceVersion = null }), KubeJsonContext.Default.LeaseDto);
        // AlreadyExists is an answer, not a failure: another elector was first (or our own lost first attempt was).
        var dto = await SendAsync(HttpMethod.Post, LeasesPath(lease.Namespace), body, "application/json", KubeJsonContext.Default.LeaseDto,
            RetryConflicts.No, cancellationToken, acceptFailure: (e, _) => e.IsAlreadyExists).ConfigureAwait(false);
        return dto is null ? null : ToRecord(dto, lease.Namespace, lease.Name);
    }

    public async Task<LeaseRecord?> TryUpdateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(lease.ResourceVersion))
            throw new ArgumentException("a lease update needs the ResourceVersion it was read at", nameof(lease));
        var body = JsonSerializer.SerializeToUtf8Bytes(ToDto(lease), KubeJsonContext.Default.LeaseDto);
        // Never retried on 409: the resourceVersion is the election's fencing; the caller must read the lease again.
        var dto = await SendAsync(HttpMethod.Put, $"{LeasesPath(lease.Namespace)}/{Escape(lease.Name)}", body, "application/json",
            KubeJsonContext.Default.LeaseDto, RetryConflicts.No, cancellationToken, acceptFailure: (e, _) => e.IsConflict).ConfigureAwait(false);
        return dto is null ? null : ToRecord(dto, lease.Namespace, lease.Name);
    }

    private static LeaseDto ToDto(LeaseRecord lease) => new()
    {
        Metadata = new ObjectMetaDto { Name = lease.Name, Namespace = lease.Namespace, ResourceVersion = lease.ResourceVersion },
        Spec = new LeaseSpecDto
        {
            HolderIdentity = lease.HolderIdentity,
            LeaseDurationSeconds = lease.LeaseDurationSeconds,
            AcquireTime = lease.AcquireTime is { } a ? KubeTime.Micro(a) : null,
            RenewTime = lease.RenewTime is { } r ? KubeTime.Micro(r) : null,
            LeaseTransitions = lease.LeaseTransitions,
        },
    };

    private static LeaseRecord ToRecord(LeaseDto dto, string ns, string name) => new(
        dto.Metadata?.Namespace ?? ns,
        dto.Metadata?.Name ?? name,
        dto.Spec?.HolderIdentity,
        dto.Spec?.LeaseDurationSeconds,
        KubeTime.Parse(dto.Spec?.AcquireTime),
        KubeTime.Parse(dto.Spec?.RenewTime),
        dto.Spec?.LeaseTransitions,
        dto.Metadata?.ResourceVersion);
}

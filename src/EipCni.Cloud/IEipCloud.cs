namespace EipCni.Cloud;

/// <summary>The VPC EIP APIs the engine uses. Every call retries transient failures inside the caller's budget and fails with <see cref="CloudException"/>.</summary>
/// <remarks>Mutating calls return the cloud's RequestId (for events and logs).</remarks>
public interface IEipCloud
{
    /// <summary>Synchronous: the EIP exists (Available) when this returns. Keep <see cref="AllocateEipRequest.ClientToken"/> stable across retried ADDs.</summary>
    Task<AllocateEipResult> AllocateEipAddressAsync(AllocateEipRequest request, CancellationToken cancellationToken);

    /// <summary>Asynchronous on the cloud side: poll <see cref="DescribeEipAddressesAsync"/> for InUse.</summary>
    Task<string> AssociateEipAddressAsync(AssociateEipRequest request, CancellationToken cancellationToken);

    /// <summary>Asynchronous on the cloud side: poll for Available.</summary>
    Task<string> UnassociateEipAddressAsync(UnassociateEipRequest request, CancellationToken cancellationToken);

    /// <summary>Only from Available; the EIP then disappears from Describe.</summary>
    Task<string> ReleaseEipAddressAsync(string allocationId, CancellationToken cancellationToken);

    /// <summary>Every EIP matching the query (all pages). An empty <see cref="EipQuery.AllocationIds"/> list matches nothing.</summary>
    Task<IReadOnlyList<EipAddress>> DescribeEipAddressesAsync(EipQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// One page (1-based) of the EIPs matching the query, 100 a page, for a caller that paces its own listing (the
    /// agent's cluster sweep). At most 50 <see cref="EipQuery.AllocationIds"/>; an empty list matches nothing.
    /// </summary>
    Task<EipPage> DescribeEipAddressesPageAsync(EipQuery query, int pageNumber, CancellationToken cancellationToken);

    Task<string> AddCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken);

    Task<string> RemoveCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken);

    /// <summary>Adds or overwrites tags on EIPs.</summary>
    Task<string> TagResourcesAsync(IReadOnlyList<string> allocationIds, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken cancellationToken);
}

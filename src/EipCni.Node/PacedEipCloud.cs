using EipCni.Cloud;

namespace EipCni.Node;

/// <summary>
/// The sweep's view of the cloud: every call waits for its slot in <see cref="CloudPace"/>, a throttled answer slows
/// the pace down, and the calls are counted (the sweep's report and its throughput measurement).
/// </summary>
public sealed class PacedEipCloud : IEipCloud
{
    private readonly IEipCloud _inner;
    private readonly CloudPace _pace;
    private int _describes, _mutations;

    public PacedEipCloud(IEipCloud inner, CloudPace pace)
    {
        _inner = inner;
        _pace = pace;
    }

    /// <summary>DescribeEipAddresses calls sent (each page and each look-up by ID counts one).</summary>
    public int Describes => Volatile.Read(ref _describes);

    /// <summary>Mutating calls sent.</summary>
    public int Mutations => Volatile.Read(ref _mutations);

    public Task<AllocateEipResult> AllocateEipAddressAsync(AllocateEipRequest request, CancellationToken cancellationToken) =>
        MutateAsync(ct => _inner.AllocateEipAddressAsync(request, ct), cancellationToken);

    public Task<string> AssociateEipAddressAsync(AssociateEipRequest request, CancellationToken cancellationToken) =>
        MutateAsync(ct => _inner.AssociateEipAddressAsync(request, ct), cancellationToken);

    public Task<string> UnassociateEipAddressAsync(UnassociateEipRequest request, CancellationToken cancellationToken) =>
        MutateAsync(ct => _inner.UnassociateEipAddressAsync(request, ct), cancellationToken);

    public Task<string> ReleaseEipAddressAsync(string allocationId, CancellationToken cancellationToken) =>
        MutateAsync(ct => _inner.ReleaseEipAddressAsync(allocationId, ct), cancellationToken);

    public Task<string> AddCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken) =>
        MutateAsync(ct => _inner.AddCommonBandwidthPackageIpAsync(bandwidthPackageId, allocationId, clientToken, ct), cancellationToken);

    public Task<string> RemoveCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken) =>
        MutateAsync(ct => _inner.RemoveCommonBandwidthPackageIpAsync(bandwidthPackageId, allocationId, clientToken, ct), cancellationToken);

    public Task<string> TagResourcesAsync(IReadOnlyList<string> allocationIds, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken cancellationToken) =>
        MutateAsync(ct => _inner.TagResourcesAsync(allocationIds, tags, ct), cancellationToken);

    /// <summary>One call per 50 IDs (or per page of an unfiltered listing): the sweep asks with at most 50.</summary>
    public Task<IReadOnlyList<EipAddress>> DescribeEipAddressesAsync(EipQuery query, CancellationToken cancellationToken) =>
        DescribeAsync(ct => _inner.DescribeEipAddressesAsync(query, ct), cancellationToken);

    public Task<EipPage> DescribeEipAddressesPageAsync(EipQuery query, int pageNumber, CancellationToken cancellationToken) =>
        DescribeAsync(ct => _inner.DescribeEipAddressesPageAsync(query, pageNumber, ct), cancellationToken);

    private async Task<T> DescribeAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        await _pace.DescribeAsync(ct).ConfigureAwait(false);
        Interlocked.Increment(ref _describes);
        return await Observed(call, ct).ConfigureAwait(false);
    }

    private async Task<T> MutateAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        await _pace.MutationAsync(ct).ConfigureAwait(false);
        Interlocked.Increment(ref _mutations);
        return await Observed(call, ct).ConfigureAwait(false);
    }

    private async Task<T> Observed<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call(ct).ConfigureAwait(false);
        }
        catch (CloudException e) when (e.IsThrottling)
        {
            _pace.Throttled(e.Action, e.RetryAfter);
            throw;
        }
    }
}

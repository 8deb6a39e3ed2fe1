namespace EipCni.Cloud;

/// <summary>VPC 2016-04-28 EIP calls over <see cref="OpenApiClient"/>.</summary>
public sealed class EipCloud : IEipCloud
{
    private const string Version = "2016-04-28";
    private const int PageSize = 100;
    private const int AllocationIdsPerCall = 50;
    private readonly OpenApiClient _client;
    private readonly CloudEndpoints _endpoints;

    public EipCloud(OpenApiClient client, CloudEndpoints endpoints)
    {
        _client = client;
        _endpoints = endpoints;
    }

    public async Task<AllocateEipResult> AllocateEipAddressAsync(AllocateEipRequest request, CancellationToken cancellationToken)
    {
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("Bandwidth", request.Bandwidth)
            .Add("InternetChargeType", request.InternetChargeType)
            .Add("InstanceChargeType", request.InstanceChargeType)
            .Add("ISP", request.Isp)
            .Add("PublicIpAddressPoolId", request.PublicIpAddressPoolId)
            .Add("ResourceGroupId", request.ResourceGroupId)
            .Add("Name", request.Name)
            .Add("Description", request.Description)
            .AddList("SecurityProtectionTypes", request.SecurityProtectionTypes)
            .AddTags("Tag", request.Tags)
            .Add("ClientToken", request.ClientToken);
        var result = await CallAsync("AllocateEipAddress", p, true, CloudJsonContext.Default.AllocateEipResult, cancellationToken).ConfigureAwait(false);
        // A 200 without what the API promises is an answer we cannot use, not an allocation: the caller treats it like a
        // lost answer (the cloud may have allocated), never as a refusal of the client token.
        if (!IsAllocationId(result.AllocationId))
            throw new CloudException("AllocateEipAddress", CloudErrorCodes.InvalidResponse,
                string.IsNullOrEmpty(result.AllocationId) ? "the answer has no AllocationId" : "the answer's AllocationId is not an EIP ID",
                NullIfEmpty(result.RequestId), 200);
        if (!IpText.TryParseV4(result.EipAddress, out _))
            throw new CloudException("AllocateEipAddress", CloudErrorCodes.InvalidResponse,
                string.IsNullOrEmpty(result.EipAddress) ? "the answer has no EipAddress" : "the answer's EipAddress is not an IPv4 address",
                NullIfEmpty(result.RequestId), 200);
        return result;
    }

    /// <summary>An EIP allocation ID as the API writes them (<c>eip-</c> and letters or digits).</summary>
    private static bool IsAllocationId(string? id) =>
        id is { Length: > 4 and <= 64 } && id.StartsWith("eip-", StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public async Task<string> AssociateEipAddressAsync(AssociateEipRequest request, CancellationToken cancellationToken)
    {
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("AllocationId", request.AllocationId)
            .Add("InstanceId", request.InstanceId)
            .Add("InstanceType", request.InstanceType)
            .Add("PrivateIpAddress", request.PrivateIpAddress)
            .Add("Mode", request.Mode)
            .Add("ClientToken", request.ClientToken);
        return await AckAsync("AssociateEipAddress", p, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> UnassociateEipAddressAsync(UnassociateEipRequest request, CancellationToken cancellationToken)
    {
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("AllocationId", request.AllocationId)
            .Add("InstanceId", request.InstanceId)
            .Add("InstanceType", request.InstanceId is null ? null : request.InstanceType)
            .Add("PrivateIpAddress", request.PrivateIpAddress)
            .Add("Force", request.Force)
            .Add("ClientToken", request.ClientToken);
        return await AckAsync("UnassociateEipAddress", p, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> ReleaseEipAddressAsync(string allocationId, CancellationToken cancellationToken)
    {
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("AllocationId", allocationId);
        return await AckAsync("ReleaseEipAddress", p, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<EipAddress>> DescribeEipAddressesAsync(EipQuery query, CancellationToken cancellationToken)
    {
        var result = new List<EipAddress>();
        // A given-but-empty id list must not turn into "no filter", which would list every EIP of the account.
        IEnumerable<string?> idChunks = query.AllocationIds is { } ids
            ? ids.Chunk(AllocationIdsPerCall).Select(c => (string?)string.Join(',', c))
            : new string?[] { null };
        // One budget for every page of this listing: a TotalCount without end, or fat pages, stop at AnswerLimits.
        var budget = new ListingBudget();
        foreach (var idChunk in idChunks)
        {
            var totalCount = 0;
            for (var page = 1; ; page++)
            {
                budget.NextPage("DescribeEipAddresses", page == 1 ? "first page" : $"TotalCount {totalCount}");
                var answer = await PageAsync(query, idChunk, page, budget, cancellationToken).ConfigureAwait(false);
                totalCount = answer.TotalCount;
                result.AddRange(answer.Items);
                if (!answer.HasMore) break;
            }
        }
        return result;
    }

    public Task<EipPage> DescribeEipAddressesPageAsync(EipQuery query, int pageNumber, CancellationToken cancellationToken)
    {
        if (query.AllocationIds is { Count: > AllocationIdsPerCall })
            throw new ArgumentException($"one page can name at most {AllocationIdsPerCall} EIPs", nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(pageNumber, 1);
        // A given-but-empty id list matches nothing; sending it empty would list every EIP of the account.
        if (query.AllocationIds is { Count: 0 }) return Task.FromResult(new EipPage([], 0, pageNumber, PageSize));
        var ids = query.AllocationIds is { } list ? string.Join(',', list) : null;
        // Each page is a listing of its own: its answer may be a page's size, not more.
        return PageAsync(query, ids, pageNumber, new ListingBudget(), cancellationToken);
    }

    private async Task<EipPage> PageAsync(EipQuery query, string? ids, int page, ListingBudget budget, CancellationToken cancellationToken)
    {
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("AllocationId", ids)
            .Add("EipAddress", query.EipAddress)
            .Add("AssociatedInstanceType", query.AssociatedInstanceType)
            .Add("AssociatedInstanceId", query.AssociatedInstanceId)
            .Add("Status", query.Status)
            .AddTags("Tag", query.Tags)
            .Add("PageNumber", page)
            .Add("PageSize", PageSize);
        var response = await CallAsync("DescribeEipAddresses", p, false, CloudJsonContext.Default.DescribeEipAddressesResponse, cancellationToken, budget).ConfigureAwait(false);
        var items = response.EipAddresses?.EipAddress ?? [];
        if (items.Count > PageSize)
            throw new CloudException("DescribeEipAddresses", CloudErrorCodes.InvalidResponse,
                $"a page holds {items.Count} EIPs, more than the {PageSize} asked for", NullIfEmpty(response.RequestId), 200);
        return new EipPage(items, response.TotalCount, page, PageSize);
    }

    public async Task<string> AddCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken)
    {
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("BandwidthPackageId", bandwidthPackageId).Add("IpInstanceId", allocationId).Add("IpType", "EIP").Add("ClientToken", clientToken);
        return await AckAsync("AddCommonBandwidthPackageIp", p, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> RemoveCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken)
    {
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("BandwidthPackageId", bandwidthPackageId).Add("IpInstanceId", allocationId).Add("ClientToken", clientToken);
        return await AckAsync("RemoveCommonBandwidthPackageIp", p, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> TagResourcesAsync(IReadOnlyList<string> allocationIds, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken cancellationToken)
    {
        if (allocationIds.Count == 0 || tags.Count == 0) throw new ArgumentException("TagResources needs at least one EIP and one tag");
        var p = await RegionParameters(cancellationToken).ConfigureAwait(false);
        p.Add("ResourceType", "EIP").AddList("ResourceId", allocationIds).AddTags("Tag", tags);
        return await AckAsync("TagResources", p, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RpcParameters> RegionParameters(CancellationToken cancellationToken) =>
        new RpcParameters().Add("RegionId", (await _endpoints.GetAsync(cancellationToken).ConfigureAwait(false)).RegionId);

    private async Task<string> AckAsync(string action, RpcParameters p, CancellationToken cancellationToken) =>
        (await CallAsync(action, p, true, CloudJsonContext.Default.CloudAck, cancellationToken).ConfigureAwait(false)).RequestId;

    private async Task<T> CallAsync<T>(string action, RpcParameters p, bool mutating, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        CancellationToken cancellationToken, ListingBudget? listing = null)
    {
        var endpoint = (await _endpoints.GetAsync(cancellationToken).ConfigureAwait(false)).Vpc;
        return await _client.CallAsync(new RpcCall(endpoint, action, Version, p, Mutating: mutating, Listing: listing), type, cancellationToken).ConfigureAwait(false);
    }
}

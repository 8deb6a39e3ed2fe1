namespace EipCni.Cloud;

/// <summary>ECS 2014-05-26 DescribeNetworkInterfaces over <see cref="OpenApiClient"/>.</summary>
public sealed class EcsCloud : INetworkInterfaceLookup
{
    private const int MaxResults = 100;
    private readonly OpenApiClient _client;
    private readonly CloudEndpoints _endpoints;

    public EcsCloud(OpenApiClient client, CloudEndpoints endpoints)
    {
        _client = client;
        _endpoints = endpoints;
    }

    public async Task<IReadOnlyList<NetworkInterface>> DescribeNetworkInterfacesAsync(NetworkInterfaceQuery query, CancellationToken cancellationToken)
    {
        var endpoints = await _endpoints.GetAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<NetworkInterface>();
        var budget = new ListingBudget();
        string? next = null;
        do
        {
            budget.NextPage("DescribeNetworkInterfaces", next is null ? "first page" : "a NextToken on every page");
            var p = new RpcParameters()
                .Add("RegionId", endpoints.RegionId)
                .Add("InstanceId", query.InstanceId)
                .AddList("NetworkInterfaceId", query.NetworkInterfaceIds)
                .AddList("PrivateIpAddress", query.PrivateIpAddresses)
                .Add("VpcId", query.VpcId)
                .Add("Type", query.Type)
                .Add("Status", query.Status)
                .Add("MaxResults", MaxResults)
                .Add("NextToken", next);
            var call = new RpcCall(endpoints.Ecs, "DescribeNetworkInterfaces", "2014-05-26", p, Listing: budget);
            var page = await _client.CallAsync(call, CloudJsonContext.Default.DescribeNetworkInterfacesResponse, cancellationToken).ConfigureAwait(false);
            var enis = page.NetworkInterfaceSets?.NetworkInterfaceSet ?? [];
            if (enis.Count > MaxResults)
                throw new CloudException("DescribeNetworkInterfaces", CloudErrorCodes.InvalidResponse,
                    $"a page holds {enis.Count} ENIs, more than the {MaxResults} asked for", null, 200);
            result.AddRange(enis);
            next = string.IsNullOrEmpty(page.NextToken) ? null : page.NextToken;
        }
        while (next is not null);
        return result;
    }
}

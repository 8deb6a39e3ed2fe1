namespace EipCni.Cloud;

/// <summary>ECS ENI lookup, used when the metadata service cannot tell which ENI owns a pod IP.</summary>
public interface INetworkInterfaceLookup
{
    /// <summary>Every ENI matching the query (all pages).</summary>
    Task<IReadOnlyList<NetworkInterface>> DescribeNetworkInterfacesAsync(NetworkInterfaceQuery query, CancellationToken cancellationToken);
}

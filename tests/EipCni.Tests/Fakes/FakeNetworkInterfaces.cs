using EipCni.Cloud;

namespace EipCni.Tests.Fakes;

/// <summary>ECS DescribeNetworkInterfaces over a list of ENIs (the resolver's fallback when metadata cannot place an IP).</summary>
public sealed class FakeNetworkInterfaces : INetworkInterfaceLookup
{
    public List<NetworkInterface> Enis { get; } = [];
    public List<NetworkInterfaceQuery> Queries { get; } = [];

    public Task<IReadOnlyList<NetworkInterface>> DescribeNetworkInterfacesAsync(NetworkInterfaceQuery query, CancellationToken cancellationToken)
    {
        Queries.Add(query);
        IEnumerable<NetworkInterface> found = Enis.Where(e => query.InstanceId is null || e.InstanceId == query.InstanceId);
        if (query.PrivateIpAddresses is { Count: > 0 } ips)
            found = found.Where(e => e.PrivateIpAddresses.Any(ips.Contains) || ips.Contains(e.PrivateIpAddress ?? ""));
        return Task.FromResult<IReadOnlyList<NetworkInterface>>(found.ToList());
    }
}

using EipCni.Cloud;

namespace EipCni.Tests.Fakes;

/// <summary>The instance metadata service of one node: its ENIs by MAC (what <c>EniResolver</c> reads first).</summary>
public sealed class FakeInstanceMetadata : IInstanceMetadata
{
    private readonly Dictionary<string, MetadataEni> _enis = new(StringComparer.Ordinal);

    public string InstanceId { get; set; } = "i-fake0001";

    /// <summary>When set, every read fails (the resolver then asks ECS).</summary>
    public CloudException? Failure { get; set; }

    public int Reads { get; private set; }

    public void AddEni(string mac, string eniId, string primaryIp, params string[] secondaryIps) =>
        _enis[mac] = new MetadataEni(mac, eniId, primaryIp, [primaryIp, .. secondaryIps]);

    public IReadOnlyCollection<MetadataEni> Enis => _enis.Values;

    public Task<string> GetAsync(string path, CancellationToken cancellationToken)
    {
        Reads++;
        if (Failure is { } f) throw f;
        // network/interfaces/macs/<mac>/private-ipv4s is the only free-form path the resolver reads.
        var parts = path.Split('/');
        if (parts.Length == 5 && parts[4] == "private-ipv4s" && _enis.TryGetValue(parts[3], out var eni))
            return Task.FromResult("[" + string.Join(",", eni.PrivateIpv4s.Select(i => $"\"{i}\"")) + "]");
        throw new CloudException("metadata " + path, "MetadataNotFound", "404 page", null, 404);
    }

    public Task<string> GetRegionIdAsync(CancellationToken cancellationToken) => Task.FromResult("cn-hangzhou");

    public Task<string> GetInstanceIdAsync(CancellationToken cancellationToken) => Task.FromResult(InstanceId);

    public Task<string> GetVpcIdAsync(CancellationToken cancellationToken) => Task.FromResult("vpc-fake");

    public Task<IReadOnlyList<string>> GetMacsAsync(CancellationToken cancellationToken)
    {
        Reads++;
        if (Failure is { } f) throw f;
        return Task.FromResult<IReadOnlyList<string>>(_enis.Keys.ToList());
    }

    public Task<MetadataEni> GetEniAsync(string mac, CancellationToken cancellationToken)
    {
        Reads++;
        if (Failure is { } f) throw f;
        return Task.FromResult(_enis[mac]);
    }
}

using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Tests.Support;

namespace EipCni.Tests.Eip;

/// <summary>ENI resolution: metadata first, ECS as the fallback, a cache that is re-verified, clear errors.</summary>
public class EniResolverTests
{
    private sealed class FakeMetadata : IInstanceMetadata
    {
        public Dictionary<string, MetadataEni> Enis { get; } = new();
        public List<string> Calls { get; } = [];
        public Task<string> GetAsync(string path, CancellationToken ct)
        {
            Calls.Add(path);
            var mac = path.Split('/')[3];
            return Task.FromResult("[" + string.Join(",", Enis[mac].PrivateIpv4s.Select(i => $"\"{i}\"")) + "]");
        }
        public Task<string> GetRegionIdAsync(CancellationToken ct) => Task.FromResult("cn-hangzhou");
        public Task<string> GetInstanceIdAsync(CancellationToken ct) { Calls.Add("instance-id"); return Task.FromResult("i-1"); }
        public Task<string> GetVpcIdAsync(CancellationToken ct) => Task.FromResult("vpc-1");
        public Task<IReadOnlyList<string>> GetMacsAsync(CancellationToken ct) { Calls.Add("macs"); return Task.FromResult<IReadOnlyList<string>>(Enis.Keys.ToList()); }
        public Task<MetadataEni> GetEniAsync(string mac, CancellationToken ct) { Calls.Add("eni " + mac); return Task.FromResult(Enis[mac]); }
    }

    private sealed class FakeEcs : INetworkInterfaceLookup
    {
        public List<NetworkInterface> Enis { get; } = [];
        public List<NetworkInterfaceQuery> Queries { get; } = [];
        public Task<IReadOnlyList<NetworkInterface>> DescribeNetworkInterfacesAsync(NetworkInterfaceQuery query, CancellationToken ct)
        {
            Queries.Add(query);
            return Task.FromResult<IReadOnlyList<NetworkInterface>>(Enis.Where(e => e.InstanceId == query.InstanceId).ToList());
        }
    }

    private static NetworkInterface EcsEni(string id, string primary, params string[] secondary) => new()
    {
        NetworkInterfaceId = id,
        InstanceId = "i-1",
        PrivateIpAddress = primary,
        MacAddress = "00:16:3e:00:00:99",
        PrivateIpSets = new PrivateIpSetList([new PrivateIpSet(primary, true, null, null), .. secondary.Select(s => new PrivateIpSet(s, false, null, null))]),
    };

    [Fact]
    public async Task Metadata_resolves_and_the_cache_is_verified_with_one_read()
    {
        using var dir = new TempDir();
        var md = new FakeMetadata();
        md.Enis["00:16:3e:00:00:01"] = new("00:16:3e:00:00:01", "eni-primary", "10.0.0.1", ["10.0.0.1"]);
        md.Enis["00:16:3e:00:00:02"] = new("00:16:3e:00:00:02", "eni-second", "10.0.1.1", ["10.0.1.1", "10.0.1.7"]);
        var ecs = new FakeEcs();
        var resolver = new EniResolver(md, ecs, dir.File("state"), NullLog.Instance);

        var first = await resolver.ResolveAsync("10.0.1.7", CancellationToken.None);
        Assert.Equal(new EniBinding("eni-second", "10.0.1.1", "00:16:3e:00:00:02"), first);
        Assert.Empty(ecs.Queries);

        md.Calls.Clear();
        var again = await new EniResolver(md, ecs, dir.File("state"), NullLog.Instance).ResolveAsync("10.0.1.7", CancellationToken.None);
        Assert.Equal(first, again);
        Assert.Equal(["network/interfaces/macs/00:16:3e:00:00:02/private-ipv4s"], md.Calls);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.File("state"), "eni-cache.json")));
    }

    [Fact]
    public async Task A_cached_ip_that_moved_to_another_eni_is_resolved_again()
    {
        using var dir = new TempDir();
        var md = new FakeMetadata();
        md.Enis["m1"] = new("m1", "eni-a", "10.0.0.1", ["10.0.0.1", "10.0.0.5"]);
        md.Enis["m2"] = new("m2", "eni-b", "10.0.1.1", ["10.0.1.1"]);
        var resolver = new EniResolver(md, new FakeEcs(), dir.File("state"), NullLog.Instance);
        Assert.Equal("eni-a", (await resolver.ResolveAsync("10.0.0.5", CancellationToken.None)).NetworkInterfaceId);

        // Terway recycled the IP onto the other ENI: the cache must not bind the EIP to the wrong ENI.
        md.Enis["m1"] = md.Enis["m1"] with { PrivateIpv4s = ["10.0.0.1"] };
        md.Enis["m2"] = md.Enis["m2"] with { PrivateIpv4s = ["10.0.1.1", "10.0.0.5"] };
        Assert.Equal("eni-b", (await resolver.ResolveAsync("10.0.0.5", CancellationToken.None)).NetworkInterfaceId);
    }

    [Fact]
    public async Task Ecs_is_asked_when_the_metadata_lags_behind()
    {
        using var dir = new TempDir();
        var md = new FakeMetadata();
        md.Enis["m1"] = new("m1", "eni-a", "10.0.0.1", ["10.0.0.1"]);
        var ecs = new FakeEcs();
        ecs.Enis.Add(EcsEni("eni-new", "10.0.2.1", "10.0.2.9"));
        var binding = await new EniResolver(md, ecs, dir.File("state"), NullLog.Instance).ResolveAsync("10.0.2.9", CancellationToken.None);
        Assert.Equal("eni-new", binding.NetworkInterfaceId);
        Assert.Equal("10.0.2.1", binding.PrimaryIp);
        var q = Assert.Single(ecs.Queries);
        Assert.Equal("i-1", q.InstanceId);
        Assert.Equal(["10.0.2.9"], q.PrivateIpAddresses);
    }

    [Fact]
    public async Task An_ip_no_eni_holds_is_error_106_and_an_ip_claimed_twice_too()
    {
        using var dir = new TempDir();
        var md = new FakeMetadata();
        md.Enis["m1"] = new("m1", "eni-a", "10.0.0.1", ["10.0.0.1"]);
        var ecs = new FakeEcs();
        var resolver = new EniResolver(md, ecs, dir.File("state"), NullLog.Instance);
        var none = await Assert.ThrowsAsync<CniException>(() => resolver.ResolveAsync("10.9.9.9", CancellationToken.None));
        Assert.Equal(CniCode.EniUnresolved, none.Code);
        Assert.Contains("10.9.9.9", none.Message);

        ecs.Enis.Add(EcsEni("eni-x", "10.0.3.1", "10.0.3.3"));
        ecs.Enis.Add(EcsEni("eni-y", "10.0.4.1", "10.0.3.3"));
        var twice = await Assert.ThrowsAsync<CniException>(() => resolver.ResolveAsync("10.0.3.3", CancellationToken.None));
        Assert.Equal(CniCode.EniUnresolved, twice.Code);
        Assert.Contains("eni-x", twice.Details);
    }

    [Fact]
    public async Task The_cache_never_follows_a_link_planted_at_a_predictable_temp_name()
    {
        using var dir = new TempDir();
        var state = EipCni.PrivateFiles.EnsureDirectory(dir.File("state"));
        var victim = dir.File("victim");
        File.WriteAllText(victim, "precious");
        var victimMode = File.GetUnixFileMode(victim);
        File.CreateSymbolicLink(Path.Combine(state, $"eni-cache.json.{Environment.ProcessId}.tmp"), victim);
        var md = new FakeMetadata();
        md.Enis["00:16:3e:00:00:01"] = new("00:16:3e:00:00:01", "eni-primary", "10.0.0.1", ["10.0.0.1", "10.0.0.5"]);

        await new EniResolver(md, new FakeEcs(), state, NullLog.Instance).ResolveAsync("10.0.0.5", CancellationToken.None);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(victimMode, File.GetUnixFileMode(victim));
        Assert.Contains("eni-primary", File.ReadAllText(Path.Combine(state, "eni-cache.json")));
    }

    [Fact]
    public async Task A_cache_in_a_state_dir_others_can_write_is_not_trusted()
    {
        using var dir = new TempDir();
        var state = dir.File("state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("777", 8));
        // Planted: the pod IP on an ENI that metadata also lists, so only the state dir check can refuse it.
        File.WriteAllText(Path.Combine(state, "eni-cache.json"), """{"10.0.0.5":{"NetworkInterfaceId":"eni-evil","PrimaryIp":"10.0.0.1","Mac":"00:16:3e:00:00:01"}}""");
        var md = new FakeMetadata();
        md.Enis["00:16:3e:00:00:01"] = new("00:16:3e:00:00:01", "eni-primary", "10.0.0.1", ["10.0.0.1", "10.0.0.5"]);

        var e = await Assert.ThrowsAsync<CniException>(() => new EniResolver(md, new FakeEcs(), state, NullLog.Instance).ResolveAsync("10.0.0.5", CancellationToken.None));

        Assert.Equal(CniCode.IoFailure, e.Code);
        Assert.Contains(state, e.Message);
        Assert.Contains("mode 0777", e.Message);
    }
}

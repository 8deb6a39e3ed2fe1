using EipCni.Cni;
using System.Diagnostics;
using System.Text.Json.Nodes;
using EipCni.Cloud;
using Xunit.Abstractions;

namespace EipCni.Tests.Cloud;

/// <summary>The real client against AliyunSim, which checks signatures and shapes with its own code.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SimulatorClientTests : IClassFixture<SimulatorFixture>, IAsyncLifetime
{
    private readonly SimulatorFixture _sim;
    private readonly ITestOutputHelper _output;
    private readonly RecordingLog _log = new();
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "eipcni-sim-" + Guid.NewGuid().ToString("N"));
    private readonly List<CloudClients> _clients = [];

    public SimulatorClientTests(SimulatorFixture sim, ITestOutputHelper output)
    {
        _sim = sim;
        _output = output;
    }

    public Task InitializeAsync() => _sim.ResetAsync();

    public Task DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        if (Directory.Exists(_stateDir)) Directory.Delete(_stateDir, recursive: true);
        foreach (var line in _log.Lines) _output.WriteLine(line);
        return Task.CompletedTask;
    }

    private CloudClients Clients(string? secret = null, bool staticKey = true, Dictionary<string, string>? env = null, int maxCalls = 4, Uri? endpoint = null)
    {
        endpoint ??= _sim.Url;
        var options = new CloudOptions
        {
            RegionId = _sim.Region,
            VpcEndpoint = endpoint,
            EcsEndpoint = endpoint,
            StsEndpoint = endpoint,
            MetadataEndpoint = endpoint,
            AccessKeyId = staticKey ? _sim.AccessKeyId : null,
            AccessKeySecret = staticKey ? secret ?? _sim.AccessKeySecret : null,
            StateDir = _stateDir,
            MaxConcurrentCloudCalls = maxCalls,
        };
        var retry = new RetrySettings { RequestTimeout = TimeSpan.FromSeconds(5), BackoffBase = TimeSpan.FromMilliseconds(50), BackoffMax = TimeSpan.FromMilliseconds(500) };
        var clients = CloudClients.Create(options, _log, name => env?.GetValueOrDefault(name), retry: retry);
        _clients.Add(clients);
        return clients;
    }

    private static CancellationToken Budget(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static async Task<EipAddress?> WaitForStatus(IEipCloud cloud, string allocationId, string? status, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var found = (await cloud.DescribeEipAddressesAsync(new EipQuery { AllocationIds = [allocationId] }, ct)).SingleOrDefault();
            if (found?.Status == status) return found;
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 400));
        }
    }

    [SimFact]
    public async Task EveryCallThroughTheWholeLifecycle()
    {
        var ct = Budget(60);
        var cloud = Clients();
        var eni = _sim.Eni(1);
        var eniId = (string)eni["networkInterfaceId"]!;
        var ip = (string)eni["secondaryIps"]!.AsArray()[0]!;
        var cbwp = (string)_sim.World["bandwidthPackages"]!.AsArray()[0]!;

        var allocated = await cloud.Eip.AllocateEipAddressAsync(new AllocateEipRequest
        {
            Bandwidth = "7",
            InternetChargeType = "PayByTraffic",
            InstanceChargeType = "PostPaid",
            Isp = "BGP",
            Name = "default/nginx-0",
            Description = "eip-cni test: a b*c~d",
            SecurityProtectionTypes = ["AntiDDoS_Enhanced"],
            Tags = [new("eip-cni/cluster", "c1"), new("eip-cni/pod", "default/nginx-0")],
            ClientToken = "lifecycle-" + Guid.NewGuid().ToString("N")[..16],
        }, ct);
        Assert.StartsWith("eip-", allocated.AllocationId);

        var fresh = Assert.Single(await cloud.Eip.DescribeEipAddressesAsync(new EipQuery { AllocationIds = [allocated.AllocationId] }, ct));
        Assert.Equal("Available", fresh.Status);
        Assert.Equal(allocated.EipAddress, fresh.IpAddress);
        Assert.Equal("7", fresh.Bandwidth);
        Assert.Equal("PayByTraffic", fresh.InternetChargeType);
        Assert.Equal("default/nginx-0", fresh.Name);
        Assert.Equal("eip-cni test: a b*c~d", fresh.Description);
        Assert.Equal(["AntiDDoS_Enhanced"], fresh.SecurityProtectionTypes!.SecurityProtectionType!);
        Assert.Equal("c1", fresh.TagMap["eip-cni/cluster"]);

        await cloud.Eip.TagResourcesAsync([allocated.AllocationId], [new("eip-cni/node", "node-1")], ct);
        await cloud.Eip.AddCommonBandwidthPackageIpAsync(cbwp, allocated.AllocationId, "cbwp-" + allocated.AllocationId, ct);
        var byTag = await cloud.Eip.DescribeEipAddressesAsync(new EipQuery { Tags = [new("eip-cni/node", "node-1")] }, ct);
        Assert.Equal(cbwp, Assert.Single(byTag).BandwidthPackageId);

        await cloud.Eip.AssociateEipAddressAsync(new AssociateEipRequest(allocated.AllocationId, eniId, ip) { ClientToken = "assoc-" + allocated.AllocationId }, ct);
        var bound = await WaitForStatus(cloud.Eip, allocated.AllocationId, "InUse", ct);
        Assert.Equal(eniId, bound!.InstanceId);
        Assert.Equal(ip, bound.PrivateIpAddress);
        var onEni = await cloud.Eip.DescribeEipAddressesAsync(new EipQuery { AssociatedInstanceType = "NetworkInterface", AssociatedInstanceId = eniId }, ct);
        Assert.Contains(onEni, e => e.AllocationId == allocated.AllocationId);

        var enis = await cloud.NetworkInterfaces.DescribeNetworkInterfacesAsync(new NetworkInterfaceQuery { InstanceId = (string)_sim.World["instanceId"]!, PrivateIpAddresses = [ip] }, ct);
        var found = Assert.Single(enis);
        Assert.Equal(eniId, found.NetworkInterfaceId);
        Assert.Contains(ip, found.PrivateIpAddresses);
        var all = await cloud.NetworkInterfaces.DescribeNetworkInterfacesAsync(new NetworkInterfaceQuery { InstanceId = (string)_sim.World["instanceId"]! }, ct);
        Assert.Equal(_sim.World["enis"]!.AsArray().Count, all.Count);

        await cloud.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(allocated.AllocationId) { InstanceId = eniId, PrivateIpAddress = ip }, ct);
        await WaitForStatus(cloud.Eip, allocated.AllocationId, "Available", ct);
        await cloud.Eip.RemoveCommonBandwidthPackageIpAsync(cbwp, allocated.AllocationId, null, ct);
        await cloud.Eip.ReleaseEipAddressAsync(allocated.AllocationId, ct);
        Assert.Null(await WaitForStatus(cloud.Eip, allocated.AllocationId, null, ct));
        Assert.DoesNotContain(await _sim.EipsAsync(), e => (string?)e["allocationId"] == allocated.AllocationId);
    }

    [SimFact]
    public async Task WrongSecretIsSignatureDoesNotMatchAndNotRetried()
    {
        var cloud = Clients(secret: "not-the-secret");
        var e = await Assert.ThrowsAsync<CloudException>(() => cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), Budget()));
        Assert.Equal("SignatureDoesNotMatch", e.Code);
        Assert.Equal(400, e.HttpStatus);
        Assert.False(e.IsRetryable);
        Assert.NotNull(e.RequestId);
        Assert.Single(await _sim.RequestsAsync("DescribeEipAddresses"));
    }

    [SimFact]
    public async Task RealThrottlingIsWaitedOutWithTheServersRetryAfter()
    {
        await _sim.PostAsync("/_sim/config", new JsonObject { ["limits"] = new JsonObject { ["DescribeEipAddresses"] = 30 } });
        var cloud = Clients();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 32; i++) await cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), Budget());
        var log = await _sim.RequestsAsync("DescribeEipAddresses");
        Assert.Contains(log, r => (string?)r["code"] == "Throttling.User");
        Assert.Equal(32, log.Count(r => (int?)r["httpStatus"] == 200));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");
    }

    [SimFact]
    public async Task InjectedThrottlingAnd5xxAreRetried()
    {
        await _sim.PostAsync("/_sim/faults", new JsonObject { ["action"] = "DescribeEipAddresses", ["code"] = "Throttling.User", ["httpStatus"] = 400, ["count"] = 2 });
        await _sim.PostAsync("/_sim/faults", new JsonObject { ["action"] = "DescribeNetworkInterfaces", ["code"] = "ServiceUnavailable", ["httpStatus"] = 503, ["count"] = 1 });
        var cloud = Clients();
        await cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), Budget());
        await cloud.NetworkInterfaces.DescribeNetworkInterfacesAsync(new NetworkInterfaceQuery { InstanceId = (string)_sim.World["instanceId"]! }, Budget());
        Assert.Equal(["Throttling.User", "Throttling.User", ""], (await _sim.RequestsAsync("DescribeEipAddresses")).Select(r => (string?)r["code"] ?? ""));
        Assert.Equal(2, (await _sim.RequestsAsync("DescribeNetworkInterfaces")).Count);
    }

    [SimFact]
    public async Task AllocateWhoseAnswerWasLostIsReplayedNotDoubled()
    {
        await _sim.PostAsync("/_sim/faults", new JsonObject { ["action"] = "AllocateEipAddress", ["drop"] = true, ["afterApply"] = true, ["count"] = 1 });
        var cloud = Clients();
        var token = "replay-" + Guid.NewGuid().ToString("N")[..16];
        var result = await cloud.Eip.AllocateEipAddressAsync(new AllocateEipRequest { ClientToken = token, Bandwidth = "5" }, Budget());
        var attempts = await _sim.RequestsAsync("AllocateEipAddress");
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(token, (string?)a["clientToken"]));
        var mine = (await _sim.EipsAsync()).Where(e => (string?)e["allocatedBy"] == "api").ToList();
        Assert.Equal(result.AllocationId, (string?)Assert.Single(mine)["allocationId"]);
    }

    [SimFact]
    public async Task AnswerLostOnAReusedConnectionIsReplayedWithAFreshSignature()
    {
        // A warm-up call leaves a kept-alive connection in the pool; the answer is then lost on that reused connection
        // (closed with a FIN, as a load balancer does), the case in which .NET's connection pool would re-send the very
        // same signed request by itself: same nonce, and the cloud says SignatureNonceUsed.
        await using var balancer = new GracefulCloseProxy(_sim.Url);
        var cloud = Clients(endpoint: balancer.Url);
        await cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), Budget());
        await _sim.PostAsync("/_sim/faults", new JsonObject { ["action"] = "AllocateEipAddress", ["drop"] = true, ["afterApply"] = true, ["count"] = 1 });
        var token = "reused-" + Guid.NewGuid().ToString("N")[..16];

        var result = await cloud.Eip.AllocateEipAddressAsync(new AllocateEipRequest { ClientToken = token, Bandwidth = "5" }, Budget());

        var attempts = await _sim.RequestsAsync("AllocateEipAddress");
        Assert.DoesNotContain(attempts, a => (string?)a["code"] == "SignatureNonceUsed");
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(token, (string?)a["clientToken"]));
        var mine = (await _sim.EipsAsync()).Where(e => (string?)e["allocatedBy"] == "api").ToList();
        Assert.Equal(result.AllocationId, (string?)Assert.Single(mine)["allocationId"]);
        // The warm-up connection carried the lost call (connection reuse is kept); the retry needed a new one.
        Assert.Equal(2, balancer.Connections);
    }

    [SimFact]
    public async Task ABudgetShorterThanAStallEndsPromptly()
    {
        await _sim.PostAsync("/_sim/faults", new JsonObject { ["action"] = "DescribeEipAddresses", ["stallMs"] = 10000, ["count"] = 5 });
        var cloud = Clients();
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CloudException>(() => cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), new CancellationTokenSource(TimeSpan.FromSeconds(1)).Token));
        Assert.Equal(CloudErrorCodes.DeadlineExceeded, e.Code);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
    }

    [SimFact]
    public async Task MetadataDescribesTheNode()
    {
        await _sim.PostAsync("/_sim/config", new JsonObject { ["hardenedMetadata"] = true });
        var md = Clients().Metadata;
        Assert.Equal(_sim.Region, await md.GetRegionIdAsync(Budget()));
        Assert.Equal((string)_sim.World["instanceId"]!, await md.GetInstanceIdAsync(Budget()));
        Assert.Equal((string)_sim.World["vpcId"]!, await md.GetVpcIdAsync(Budget()));
        var macs = await md.GetMacsAsync(Budget());
        var eni = _sim.Eni(1);
        Assert.Contains((string)eni["mac"]!, macs);
        var got = await md.GetEniAsync((string)eni["mac"]!, Budget());
        Assert.Equal((string)eni["networkInterfaceId"]!, got.NetworkInterfaceId);
        Assert.Equal((string)eni["primaryIp"]!, got.PrimaryIpAddress);
        Assert.Contains((string)eni["secondaryIps"]!.AsArray()[0]!, got.PrivateIpv4s);
    }

    [SimFact]
    public async Task NodeRoleFromHardenedMetadata()
    {
        await _sim.PostAsync("/_sim/config", new JsonObject { ["hardenedMetadata"] = true });
        var cloud = Clients(staticKey: false);
        await cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), Budget());
        var call = Assert.Single(await _sim.RequestsAsync("DescribeEipAddresses"));
        Assert.StartsWith("STS.", (string)call["accessKeyId"]!);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_stateDir, "credentials", "cache.json")));
    }

    [SimFact]
    public async Task RrsaThroughTheSimulatedStsAndRefreshAfterExpiry()
    {
        var tokenFile = Path.Combine(_stateDir, "oidc-token");
        Directory.CreateDirectory(_stateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // An unsigned JWT: the sim does not verify it, only echoes its claims.
        File.WriteAllText(tokenFile, SecretWitness.Secret("eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06ZWlwLWNuaSJ9."));
        var env = new Dictionary<string, string>
        {
            ["ALIBABA_CLOUD_ROLE_ARN"] = (string)_sim.World["roleArn"]!,
            ["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] = (string)_sim.World["oidcProviderArn"]!,
            ["ALIBABA_CLOUD_OIDC_TOKEN_FILE"] = tokenFile,
        };
        var cloud = Clients(staticKey: false, env: env);
        await cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), Budget());
        Assert.Single(await _sim.RequestsAsync("AssumeRoleWithOIDC"));

        // The sim's clock moves past the credential's expiry: the cloud refuses the cached credential, the client fetches a new one.
        await _sim.PostAsync("/_sim/clock", new JsonObject { ["advanceSeconds"] = 7200 });
        await cloud.Eip.DescribeEipAddressesAsync(new EipQuery(), Budget());
        Assert.Equal(2, (await _sim.RequestsAsync("AssumeRoleWithOIDC")).Count);
        var describes = await _sim.RequestsAsync("DescribeEipAddresses");
        Assert.Equal(["", "InvalidSecurityToken.Expired", ""], describes.Select(r => (string?)r["code"] ?? ""));
        Assert.Empty(SecretWitness.Leaks);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using EipCni.Eip;
using EipCni.Tests.Support;
using Xunit.Abstractions;

namespace EipCni.Tests.Node;

/// <summary>
/// <c>eip-cni-agent gc --cluster</c>, the published binary, against both simulators: the dry run changes nothing, the
/// sweep gives back exactly what it should, and its pace within the cloud's rate limits (the measured throughput is
/// printed; docs/design.md, "Node GC and the cluster sweep", quotes it).
/// </summary>
public sealed class AgentGcE2eTests : IClassFixture<EipWorld>, IDisposable
{
    private const string Cluster = "c-agent";
    private readonly EipWorld _world;
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new("eipcni-agent-gc");

    public AgentGcE2eTests(EipWorld world, ITestOutputHelper output)
    {
        _world = world;
        _output = output;
        _world.Reset();
        _world.CreateNode("node-1");
        var eni = _dir.File("eni.json");
        File.WriteAllText(eni, new JsonObject
        {
            ["enable_eip_pool"] = "true",
            ["access_key"] = _world.AccessKeyId,
            ["access_secret"] = _world.AccessKeySecret,
            ["region_id"] = _world.Cloud.Ready["region"]!.GetValue<string>(),
        }.ToJsonString());
        Directory.CreateDirectory(_dir.File("net.d"));
        File.WriteAllText(_dir.File("net.d/10-terway.conflist"), new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = "terway",
            ["plugins"] = new JsonArray(new JsonObject { ["type"] = "terway" }, new JsonObject
            {
                ["type"] = "eip-cni",
                ["clusterId"] = Cluster,
                ["nodeName"] = "node-1",
                ["eniConfPath"] = eni,
                ["stateDir"] = _dir.File("state"),
                ["logFile"] = _dir.File("eip-cni.log"),
                ["kubeconfig"] = _world.Kube.Ready["kubeconfig"]!.GetValue<string>(),
                ["endpoints"] = new JsonObject { ["vpc"] = _world.Cloud.Url, ["ecs"] = _world.Cloud.Url, ["sts"] = _world.Cloud.Url, ["metadata"] = _world.Cloud.Url },
            }),
        }.ToJsonString());
        Directory.CreateDirectory(_dir.File("state"));
    }

    private ProcessResult Agent(params string[] args) =>
        ProcessRunner.Run(Repo.AgentBinary, ["gc", "--conf-dir", _dir.File("net.d"), .. args], timeout: TimeSpan.FromMinutes(5));

    /// <summary>An EIP as eip-cni's ADD tags it, for pod <paramref name="pod"/> of node-1.</summary>
    private string Ours(string pod, string? bindEni = null, string? bindIp = null) =>
        _world.CreateTaggedEip(OwnershipTags.ForNewEip(Cluster, "default", pod, "uid-" + pod, "ctr-" + pod, "node-1", "Follow"), bindEni, bindIp)
            ["allocationId"]!.GetValue<string>();

    private Dictionary<string, JsonObject> Alive() =>
        _world.Eips().Select(e => e!.AsObject()).Where(e => e["releaseTime"] is null).ToDictionary(e => e["allocationId"]!.GetValue<string>());

    [Fact]
    public void Dry_run_changes_nothing_then_the_sweep_gives_back_exactly_the_gone_pods_eips()
    {
        var eni = _world.PrimaryEniId;
        var user = _world.SeedEipId; // the seed world's user EIP: no tags at all
        var other = _world.CreateTaggedEip(OwnershipTags.ForNewEip("c-other", "default", "x", "uid-x", "ctr-x", "node-1", "Follow"))["allocationId"]!.GetValue<string>();
        var live = Ours("web-live", eni, "10.250.0.5");
        _world.CreateRunningPod("web-live", "uid-web-live", "node-1", "10.250.0.5");
        var onLiveIp = Ours("web-old", eni, "10.250.0.6");
        _world.CreateRunningPod("web-new", "uid-web-new", "node-1", "10.250.0.6");
        var goneBound = Ours("web-crashed", eni, "10.250.0.7");
        var goneFree = Ours("web-done");
        var before = _world.CloudRequests().Count;

        var dry = Agent("--cluster", "--dry-run");

        Assert.True(dry.ExitCode == 0, dry.Stdout + dry.Stderr);
        _output.WriteLine(dry.Stdout + dry.Stderr);
        Assert.DoesNotContain(_world.CloudRequests().Skip(before), r => r!["mutating"]!.GetValue<bool>());
        var lines = dry.Stdout.Trim().Split('\n').Select(l => l.Split('\t')).ToDictionary(f => f[0]);
        Assert.Equal(4, lines.Count); // this cluster's EIPs only
        Assert.Equal(["default/web-crashed", "node-1", "unbind+release"], lines[goneBound][2..5]);
        Assert.Equal("release", lines[goneFree][4]);
        Assert.Equal("keep", lines[live][4]);
        Assert.Equal(("keep", "bound to 10.250.0.6, the IP of live pod default/web-new"), (lines[onLiveIp][4], lines[onLiveIp][5]));
        Assert.Equal(6, Alive().Count);

        var run = Agent("--cluster");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var alive = Alive();
        Assert.Equal(new[] { live, onLiveIp, other, user }.Order(StringComparer.Ordinal), alive.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("InUse", alive[live]["status"]!.GetValue<string>());
        Assert.Equal("InUse", alive[onLiveIp]["status"]!.GetValue<string>());
        var mutated = _world.MutatingCloudRequests().Select(r => (r["action"]!.GetValue<string>(), r["params"]!["AllocationId"]?.GetValue<string>())).ToList();
        Assert.Equal(3, mutated.Count);
        Assert.Contains(("ReleaseEipAddress", goneFree), mutated);
        Assert.True(mutated.IndexOf(("UnassociateEipAddress", goneBound)) is >= 0 and var unbind && unbind < mutated.IndexOf(("ReleaseEipAddress", goneBound)),
            string.Join(", ", mutated));
        Assert.Contains("released", run.Stdout);
    }

    [Fact]
    public void Node_gc_gives_back_the_records_of_pods_gone_from_this_node_and_nothing_while_the_api_server_is_down()
    {
        var eni = _world.PrimaryEniId;
        var journal = new EipCni.State.Journal(_dir.File("state"), "terway");
        string Record(string pod, string ip)
        {
            var id = _world.CreateTaggedEip(OwnershipTags.ForNewEip(Cluster, "default", pod, "uid-" + pod, "ctr-" + pod, "node-1", "Follow"), eni, ip)
                ["allocationId"]!.GetValue<string>();
            journal.Write(new EipCni.State.AttachmentRecord
            {
                Network = "terway", ContainerId = "ctr-" + pod, IfName = "eth0", ClusterId = Cluster, PodNamespace = "default", PodName = pod,
                PodUid = "uid-" + pod, Origin = EipCni.State.EipOrigin.Automatic, Phase = EipCni.State.AttachmentPhase.Bound,
                AllocationId = id, NetworkInterfaceId = eni, PrivateIp = ip, EniPrimaryIp = "10.250.0.1",
            });
            return id;
        }
        var live = Record("web-live", "10.250.0.8");
        var gone = Record("web-gone", "10.250.0.9");
        _world.CreateRunningPod("web-live", "uid-web-live", "node-1", "10.250.0.8");
        var dead = _dir.File("dead.kubeconfig");
        File.WriteAllText(dead, File.ReadAllText(_world.Kube.Ready["kubeconfig"]!.GetValue<string>())
            .Replace(new Uri(_world.Kube.Url).Authority, "127.0.0.1:1"));

        var down = Agent("--kubeconfig", dead);

        Assert.True(down.ExitCode == 0, down.Stdout + down.Stderr);
        Assert.Contains("only pending work was done", down.Stdout);
        Assert.Equal(2, journal.List().Count);
        Assert.Empty(_world.MutatingCloudRequests());

        var up = Agent();

        Assert.True(up.ExitCode == 0, up.Stdout + up.Stderr);
        Assert.Contains("1 given back", up.Stdout);
        Assert.Equal(["ctr-web-live"], journal.List().Select(r => r.ContainerId));
        var alive = Alive();
        Assert.False(alive.ContainsKey(gone));
        Assert.Equal("InUse", alive[live]["status"]!.GetValue<string>());
        Assert.Equal(["UnassociateEipAddress", "ReleaseEipAddress"], _world.MutatingCloudRequests().Select(r => r["action"]!.GetValue<string>()));
    }

    [Fact]
    public void Sweep_throughput_within_the_pace_and_the_clouds_rate_limits()
    {
        // The count and the pace can be changed for a measurement by hand (EIPCNI_SWEEP_N, EIPCNI_SWEEP_PACE).
        var n = int.Parse(Environment.GetEnvironmentVariable("EIPCNI_SWEEP_N") ?? "40", CultureInfo.InvariantCulture);
        var pace = Environment.GetEnvironmentVariable("EIPCNI_SWEEP_PACE") ?? "600";
        // EIPCNI_SWEEP_BOUND=1: each still bound to a pod IP (at most 39, the primary ENI's secondary IPs): unbind first.
        var bound = Environment.GetEnvironmentVariable("EIPCNI_SWEEP_BOUND") == "1";
        for (var i = 0; i < n; i++)
            if (bound) Ours($"web-{i}", _world.PrimaryEniId, $"10.250.0.{2 + i}");
            else Ours($"web-{i}");
        var before = _world.CloudRequests().Count;

        var clock = Stopwatch.StartNew();
        var run = Agent("--cluster", "--describes-per-minute", pace, "--mutations-per-minute", pace);
        var took = clock.Elapsed;

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Single(Alive()); // the seed world's user EIP
        var requests = _world.CloudRequests().Skip(before).Select(r => r!.AsObject()).ToList();
        var describes = requests.Count(r => r["action"]!.GetValue<string>() == "DescribeEipAddresses");
        var throttled = requests.Count(r => r["code"]?.GetValue<string>() is { } c && c.StartsWith("Throttling", StringComparison.Ordinal));
        var perMinute = n / took.TotalMinutes;
        _output.WriteLine($"{n} {(bound ? "bound" : "unbound")} EIPs released in {took.TotalSeconds:0.0} s = {perMinute:0} EIPs/min at {pace} calls/min; " +
            $"{describes} DescribeEipAddresses, {requests.Count - describes} other calls, {throttled} throttled; {run.Stderr.Trim()}");
        Assert.Equal(0, throttled);
        // One page per 100 and one look-up per 20: the listing costs a few describes, not one per EIP (an unbind adds its polls).
        if (!bound) Assert.True(describes <= n / 100 + 1 + (n + 19) / 20, $"{describes} describes for {n} EIPs");
        // Paced: n releases at the configured rate take at least (n - 1) intervals.
        Assert.True(took >= TimeSpan.FromMinutes(1) / int.Parse(pace, CultureInfo.InvariantCulture) * (n - 1), $"took {took}");
    }

    [Fact]
    public void A_throttled_sweep_waits_as_the_cloud_asks_and_still_finishes()
    {
        const int limit = 40, n = 46;
        for (var i = 0; i < n; i++) Ours($"web-{i}");
        _world.CloudConfig(new JsonObject { ["limits"] = new JsonObject { ["ReleaseEipAddress"] = limit } }); // 40 at once, then one per 1.5 s
        var before = _world.CloudRequests().Count;
        try
        {
            var clock = Stopwatch.StartNew();
            var run = Agent("--cluster", "--describes-per-minute", "600", "--mutations-per-minute", "6000");
            var took = clock.Elapsed;

            Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
            Assert.Single(Alive());
            var releases = _world.CloudRequests().Skip(before).Select(r => r!.AsObject()).Where(r => r["action"]!.GetValue<string>() == "ReleaseEipAddress").ToList();
            var throttled = releases.Count(r => r["code"]?.GetValue<string>() == "Throttling.User");
            _output.WriteLine($"{n} EIPs in {took.TotalSeconds:0.0} s with ReleaseEipAddress limited to {limit}/min: {throttled} throttled attempts");
            Assert.InRange(throttled, 1, 2 * (n - limit)); // the cloud's retry-after is waited for, not hammered
            Assert.True(took >= TimeSpan.FromSeconds(1.5 * (n - limit - 1)), $"took {took}");
        }
        finally
        {
            _world.CloudConfig(new JsonObject { ["limits"] = new JsonObject { ["ReleaseEipAddress"] = 600 } });
        }
    }

    public void Dispose() => _dir.Dispose();
}

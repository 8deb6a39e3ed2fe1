using System.Diagnostics;
using System.Text.Json.Nodes;
using CriClient;
using EipCni.Tests.Support;
using Xunit.Abstractions;

namespace ContainerdTests;

/// <summary>
/// The product as a kubelet meets it: a real containerd whose conf dir holds only a primary plugin's conflist,
/// `eip-cni-agent install` chaining eip-cni in while containerd runs, and pods asking for an EIP through the CRI.
/// The cloud and the API server are the simulators.
/// </summary>
public sealed class EipSandboxTests(ITestOutputHelper output) : IDisposable
{
    private const string WantsEip = "network.alibabacloud.com/pod-with-eip";
    private readonly EipWorld _world = new();

    public void Dispose() => _world.Dispose();

    /// <summary>bridge + host-local on the simulated ENI's secondary IPs (10.250.0.2–40, as the other e2e suites use).</summary>
    private static void WritePrimary(CniNetwork net)
    {
        var bridge = net.BridgePlugin();
        bridge["ipam"]!["ranges"] = new JsonArray(new JsonArray(new JsonObject
        {
            ["subnet"] = "10.250.0.0/24", ["rangeStart"] = "10.250.0.2", ["rangeEnd"] = "10.250.0.40",
        }));
        net.WriteConflist(new JsonObject { ["cniVersion"] = "0.4.0", ["name"] = net.Name, ["plugins"] = new JsonArray(bridge) });
    }

    /// <summary>The plugin config an operator gives `install --plugin-config`: our simulators, a private state dir.</summary>
    private string PluginConfig(CniNetwork net)
    {
        var eniConf = Path.Combine(net.Dir, "eni.json");
        File.WriteAllText(eniConf, new JsonObject
        {
            ["enable_eip_pool"] = "true", ["access_key"] = _world.AccessKeyId, ["access_secret"] = _world.AccessKeySecret,
            ["region_id"] = _world.Cloud.Ready["region"]!.GetValue<string>(),
        }.ToJsonString());
        var path = Path.Combine(net.Dir, "plugin.json");
        File.WriteAllText(path, new JsonObject
        {
            ["clusterId"] = "c-ctrd", ["nodeName"] = "node-ctrd",
            ["kubeconfig"] = _world.Kube.Ready["kubeconfig"]!.GetValue<string>(),
            ["endpoints"] = new JsonObject { ["vpc"] = _world.Cloud.Url, ["ecs"] = _world.Cloud.Url, ["sts"] = _world.Cloud.Url, ["metadata"] = _world.Cloud.Url },
            ["eniConfPath"] = eniConf, ["stateDir"] = Path.Combine(net.Dir, "state"), ["logFile"] = Path.Combine(net.Dir, "eip-cni.log"),
            ["logLevel"] = "debug", ["addTimeoutSeconds"] = 30, ["delTimeoutSeconds"] = 15,
        }.ToJsonString());
        return path;
    }

    private static ProcessResult Agent(params string[] args) =>
        ProcessRunner.Run(Path.Combine(Repo.Root, "out", "eip-cni-agent"), args, timeout: TimeSpan.FromSeconds(60));

    [ContainerdFact]
    public async Task Install_chains_eip_cni_into_a_running_containerd_and_a_sandbox_starts_only_with_its_eip_bound()
    {
        await using var node = new TestNode("10.250.0.0/24", new ContainerdOptions { CallTimeout = TimeSpan.FromSeconds(75) });
        WritePrimary(node.Net);
        var cri = await node.StartAsync();
        var ct = node.Ct;

        var install = Agent("install", "--cni-bin-dir", node.Net.BinDir, "--cni-conf-dir", node.Net.ConfDir, "--plugin-config", PluginConfig(node.Net));
        Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);
        output.WriteLine(install.Stdout);
        var chained = JsonNode.Parse(File.ReadAllText(node.Net.ConflistPath))!["plugins"]!.AsArray();
        Assert.Equal(["bridge", "eip-cni"], chained.Select(p => p!["type"]!.GetValue<string>()));

        _world.CreatePod("web-0", new Dictionary<string, string> { [WantsEip] = "true" });
        var clock = Stopwatch.StartNew();
        var id = await cri.RunPodSandboxAsync("web-0", "default", CniChain.PodUid("web-0"), new Dictionary<string, string> { [WantsEip] = "true" }, ct: ct);
        var ip = await cri.PodIpAsync(id, ct);
        output.WriteLine($"RunPodSandbox with an EIP answered in {clock.ElapsedMilliseconds} ms, pod IP {ip}");

        // The moment RunPodSandbox returns, the cloud already shows the EIP in use on exactly this IP.
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("InUse", eip["status"]!.GetValue<string>());
        Assert.Equal(ip, eip["privateIpAddress"]!.GetValue<string>());
        Assert.Equal(eip["ipAddress"]!.GetValue<string>(), _world.Pod("web-0")["metadata"]!["annotations"]!["network.alibabacloud.com/allocated-eipAddress"]!.GetValue<string>());

        await cri.StopPodSandboxAsync(id, ct);
        // DEL returned only once the EIP was off the IP; its release finishes in the cloud's own time.
        Assert.All(_world.ApiEips(), e => Assert.NotEqual("InUse", e!["status"]!.GetValue<string>()));
        await cri.RemovePodSandboxAsync(id, ct);
        var deadline = Stopwatch.StartNew();
        while (_world.ApiEips().Length > 0 && deadline.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(200, ct);
        Assert.Empty(_world.ApiEips());
    }
}

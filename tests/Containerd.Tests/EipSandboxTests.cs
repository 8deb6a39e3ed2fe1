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

    /// <summary>kube-system/eni-config with the same eni_conf the node has, as Terway's ConfigMap holds it (run mirrors it).</summary>
    private void CreateEniConfig(CniNetwork net)
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        http.DefaultRequestHeaders.Authorization = new("Bearer", _world.Kube.Ready["token"]!.GetValue<string>());
        var body = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["namespace"] = "kube-system", ["name"] = "eni-config" },
            ["data"] = new JsonObject { ["eni_conf"] = File.ReadAllText(Path.Combine(net.Dir, "eni.json")) },
        };
        using var r = http.PostAsync($"{_world.Kube.Url}/api/v1/namespaces/kube-system/configmaps",
            new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
        Assert.True(r.IsSuccessStatusCode, r.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    private static string[] Chain(CniNetwork net) =>
        JsonNode.Parse(File.ReadAllText(net.ConflistPath))!["plugins"]!.AsArray().Select(p => p!["type"]!.GetValue<string>()).ToArray();

    [ContainerdFact]
    public async Task Run_rechains_a_conflist_the_primary_plugin_rewrote_within_a_second_and_the_next_sandbox_gets_its_eip()
    {
        await using var node = new TestNode("10.250.0.0/24", new ContainerdOptions { CallTimeout = TimeSpan.FromSeconds(75) });
        WritePrimary(node.Net);
        var cri = await node.StartAsync();
        var ct = node.Ct;
        var pluginConfig = PluginConfig(node.Net);
        CreateEniConfig(node.Net);
        var install = Agent("install", "--cni-bin-dir", node.Net.BinDir, "--cni-conf-dir", node.Net.ConfDir, "--plugin-config", pluginConfig);
        Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);

        var psi = new ProcessStartInfo(Path.Combine(Repo.Root, "out", "eip-cni-agent"))
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "run", "--cni-bin-dir", node.Net.BinDir, "--cni-conf-dir", node.Net.ConfDir, "--host-cni-conf-dir", node.Net.ConfDir,
                     "--plugin-config", pluginConfig, "--node-name", "node-ctrd", "--kubeconfig", _world.Kube.Ready["kubeconfig"]!.GetValue<string>(),
                     "--metrics-address", "127.0.0.1:19767", "--no-sweep" })
            psi.ArgumentList.Add(a);
        using var agent = Process.Start(psi)!;
        var agentLog = new System.Text.StringBuilder();
        agent.ErrorDataReceived += (_, e) => { lock (agentLog) agentLog.AppendLine(e.Data); };
        agent.BeginErrorReadLine();
        try
        {
            await Task.Delay(1000, ct); // running: the chain was already in place, so its first pass changes nothing
            Assert.Equal(["bridge", "eip-cni"], Chain(node.Net));

            // "Terway" restarts and writes its own conflist again: eip-cni is gone from the chain.
            WritePrimary(node.Net);
            var clock = Stopwatch.StartNew();
            while (Chain(node.Net) is not [.., "eip-cni"] && clock.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(10, ct);
            output.WriteLine($"re-chained {clock.ElapsedMilliseconds} ms after the rewrite");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"re-chained only after {clock.ElapsedMilliseconds} ms\n{agentLog}");

            _world.CreatePod("web-1", new Dictionary<string, string> { [WantsEip] = "true" });
            var id = await cri.RunPodSandboxAsync("web-1", "default", CniChain.PodUid("web-1"), new Dictionary<string, string> { [WantsEip] = "true" }, ct: ct);
            var ip = await cri.PodIpAsync(id, ct);
            var eip = Assert.Single(_world.ApiEips());
            Assert.Equal("InUse", eip["status"]!.GetValue<string>());
            Assert.Equal(ip, eip["privateIpAddress"]!.GetValue<string>());
            await cri.StopPodSandboxAsync(id, ct);
            await cri.RemovePodSandboxAsync(id, ct);

            // The agent read the plugin's log lines of these calls: /metrics counts them, /healthz says ok.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            string metrics = "";
            var waited = Stopwatch.StartNew();
            while (!metrics.Contains("eipcni_cni_calls_total{command=\"ADD\",code=\"0\"}") && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(500, ct);
                metrics = await http.GetStringAsync("http://127.0.0.1:19767/metrics", ct);
            }
            output.WriteLine(metrics);
            Assert.Contains("eipcni_cni_calls_total{command=\"ADD\",code=\"0\"}", metrics);
            Assert.Contains("eipcni_cni_add_duration_seconds_bucket", metrics);
            using var health = await http.GetAsync("http://127.0.0.1:19767/healthz", ct);
            Assert.True(health.IsSuccessStatusCode);
        }
        finally
        {
            Libc_kill(agent.Id);
            if (!agent.WaitForExit(20_000)) agent.Kill();
            output.WriteLine(agentLog.ToString());
        }
        Assert.Equal(0, agent.ExitCode); // SIGTERM: every loop ended gracefully
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    private static void Libc_kill(int pid) => Kill(pid, 15);

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

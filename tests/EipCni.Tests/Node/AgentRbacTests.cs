using System.Text.Json.Nodes;
using EipCni.Kube;
using EipCni.Node;
using EipCni.Tests.Fakes;
using EipCni.Tests.Kube;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>
/// The agent's Kubernetes side, as its own service account in a pod (in-cluster config), with only the RBAC rules
/// conf/rbac.yaml grants it (docs/design.md §10 lists them): every component does its work and the API server refuses
/// nothing it asks.
/// </summary>
[Collection("kubesim-fast")]
public sealed class AgentRbacTests : IAsyncLifetime
{
    private const string AgentUser = "system:serviceaccount:kube-system:eip-cni-agent";

    private readonly KubeSimFastFixture _sim;
    private readonly TempDir _dir = new("agentrbac");

    public AgentRbacTests(KubeSimFastFixture sim) => _sim = sim;

    public Task InitializeAsync() => _sim.ResetAsync();

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task With_only_the_documented_rules_every_component_works_and_nothing_is_refused()
    {
        // The pod's service account volume: a projected token, the CA, the namespace.
        var serviceAccount = Directory.CreateDirectory(_dir.File("serviceaccount")).FullName;
        var minted = await _sim.ApiAsync("POST", "/api/v1/namespaces/kube-system/serviceaccounts/eip-cni-agent/token", """{"spec":{"expirationSeconds":600}}""");
        File.WriteAllText(Path.Combine(serviceAccount, "token"), minted["status"]!["token"]!.ToString());
        File.Copy(_sim.CaFile, Path.Combine(serviceAccount, "ca.crt"));
        File.WriteAllText(Path.Combine(serviceAccount, "namespace"), "kube-system");
        var port = new Uri(_sim.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var config = AgentKubeconfig.Resolve(null, n => n == "KUBERNETES_SERVICE_HOST" ? "127.0.0.1" : n == "KUBERNETES_SERVICE_PORT" ? port : null, serviceAccount);

        await _sim.AdminAsync("POST", "/_sim/rbac", ConfYaml.RbacRules("eip-cni-agent"));
        await _sim.ApiAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"node-a"},"spec":{"providerID":"cn-hangzhou.i-1"}}""");
        await _sim.PutPodAsync("""{"metadata":{"name":"web-0","namespace":"team-a"},"spec":{"nodeName":"node-a"}}""");
        await _sim.ApiAsync("POST", "/api/v1/namespaces/kube-system/configmaps",
            new JsonObject { ["metadata"] = new JsonObject { ["name"] = "eni-config" }, ["data"] = new JsonObject { ["eni_conf"] = "{\"enable_eip_pool\":\"yes\"}" } }.ToJsonString());

        var log = new RecordingLog();
        using var kube = new KubeClient(config, log, new KubeClientOptions { NodeName = "node-a", Component = "eip-cni-agent", MaxAttempts = 2 });
        using var stop = new CancellationTokenSource();
        var election = new LeaderElection(kube, new LeaderElectionOptions
        {
            Identity = LeaderElection.IdentityOf("node-a", "eip-cni-agent-x7k2p"),
            LeaseDuration = TimeSpan.FromSeconds(3), RenewDeadline = TimeSpan.FromSeconds(2), RetryPeriod = TimeSpan.FromSeconds(0.3),
        }, log);
        var pods = new Informer<PodView>(kube.ListWatch(KubeResources.Pods, null, KubeSelector.OnNode("node-a")), (_, _) => Task.CompletedTask, log);
        var eniConf = _dir.File("eni/eni.json");
        var pluginKubeconfig = _dir.File("net.d/eip-cni.d/eip-cni.kubeconfig");
        var leading = new TaskCompletionSource();
        var running = Task.WhenAll(
            new EniConfSync(kube, new EniConfSyncOptions { Path = eniConf }, log).RunAsync(stop.Token),
            new PluginIdentity(kube, config, new PluginIdentityOptions
            {
                KubeconfigPath = pluginKubeconfig, TokenPath = _dir.File("net.d/eip-cni.d/eip-cni.token"), TokenLifetime = TimeSpan.FromMinutes(10),
            }, log).RunAsync(stop.Token),
            election.RunAsync(async ct => { leading.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stop.Token),
            pods.RunAsync(stop.Token));

        var node = await kube.GetNodeAsync("node-a", CancellationToken.None);
        await leading.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await pods.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Wait.Until(() => File.Exists(pluginKubeconfig), TimeSpan.FromSeconds(10), "the plugin's kubeconfig");
        Wait.Until(() => _sim.EventsAsync().Result.Count == 1, TimeSpan.FromSeconds(10), "the EniConfInvalid event");
        await _sim.ApiAsync("PATCH", "/api/v1/namespaces/kube-system/configmaps/eni-config", """{"data":{"eni_conf":"{\"enable_eip_pool\":\"true\"}"}}""",
            "application/merge-patch+json");
        Wait.Until(() => File.Exists(eniConf), TimeSpan.FromSeconds(10), "eni_conf written");
        await stop.CancelAsync();
        await running;

        Assert.Equal("cn-hangzhou.i-1", node.ProviderId);
        Assert.Equal(["web-0"], pods.Snapshot().Select(p => p.Name));
        var agentRequests = (await _sim.RequestsAsync()).Where(r => r!["user"]?.ToString() == AgentUser).ToList();
        Assert.NotEmpty(agentRequests);
        Assert.DoesNotContain(agentRequests, r => (int)r!["status"]! is 401 or 403);
        Assert.Contains(agentRequests, r => r!["path"]!.ToString().EndsWith("/leases/eip-cni-sweeper") && r["method"]!.ToString() == "PUT");
        Assert.Contains(agentRequests, r => r!["path"]!.ToString().EndsWith("/serviceaccounts/eip-cni-plugin/token"));
        Assert.Contains(agentRequests, r => r!["path"]!.ToString() == "/api/v1/namespaces/kube-system/events");
    }
}

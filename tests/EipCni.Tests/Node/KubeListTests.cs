using System.Text;
using EipCni.Kube;
using EipCni.Tests.Kube;

namespace EipCni.Tests.Node;

/// <summary>The lists the agent's GC and sweep read (pods of the cluster or of one node, node names), against KubeSim.</summary>
[Collection("kubesim")]
public sealed class KubeListTests : IAsyncLifetime
{
    private readonly KubeSimFixture _sim;

    public KubeListTests(KubeSimFixture sim) => _sim = sim;

    public Task InitializeAsync() => _sim.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private KubeClient Client() => new(Kubeconfig.Load(_sim.Kubeconfig), NullLog.Instance,
        new KubeClientOptions { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) });

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private async Task SeedPodsAsync(int count, string node, string prefix)
    {
        for (var i = 0; i < count; i++)
            await _sim.PutPodAsync($$$"""
                {"metadata":{"name":"{{{prefix}}}-{{{i}}}","namespace":"ns-{{{i % 3}}}","uid":"uid-{{{prefix}}}-{{{i}}}",
                   "annotations":{"network.alibabacloud.com/pod-eip-instanceid":"eip-{{{prefix}}}{{{i}}}"}},
                 "spec":{"nodeName":"{{{node}}}","containers":[{"name":"c","image":"busybox"}]},
                 "status":{"phase":"Running","podIPs":[{"ip":"10.1.{{{i / 250}}}.{{{i % 250}}}"}]}}
                """);
    }

    [Fact]
    public async Task ListPods_reads_every_page_and_keeps_what_the_sweep_needs()
    {
        await SeedPodsAsync(230, "node-a", "a");
        await SeedPodsAsync(20, "node-b", "b");
        using var client = Client();

        var pods = await client.ListPodsAsync(null, Budget());

        Assert.Equal(250, pods.Count);
        Assert.Equal(250, pods.Select(p => p.Uid).Distinct().Count());
        var one = pods.Single(p => p.Uid == "uid-a-7");
        Assert.Equal(("ns-1", "a-7", "node-a", "Running"), (one.Namespace, one.Name, one.NodeName, one.Phase));
        Assert.Equal(["10.1.0.7"], one.PodIPs);
        Assert.Equal("eip-a7", one.Annotations["network.alibabacloud.com/pod-eip-instanceid"]);
        var lists = await _sim.RequestsAsync("GET", "/api/v1/pods");
        Assert.Equal(3, lists.Count); // 100 a page
        Assert.All(lists, r => Assert.Contains("limit=100", r["query"]!.GetValue<string>()));
        Assert.Contains("continue=", lists[1]["query"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListPods_of_a_node_asks_the_server_for_that_node_only()
    {
        await SeedPodsAsync(5, "node-a", "a");
        await SeedPodsAsync(3, "node-b", "b");
        using var client = Client();

        var pods = await client.ListPodsAsync("node-b", Budget());

        Assert.Equal(["b-0", "b-1", "b-2"], pods.Select(p => p.Name).Order());
        var query = Assert.Single(await _sim.RequestsAsync("GET", "/api/v1/pods"))["query"]!.GetValue<string>();
        Assert.Contains("fieldSelector=spec.nodeName%3Dnode-b", query);
    }

    [Fact]
    public async Task ListNodeNames_lists_the_nodes()
    {
        using (var http = _sim.CreateHttpClient(_sim.Token))
            foreach (var name in new[] { "node-a", "cn-hangzhou.10.0.1.5" })
                (await http.PostAsync("/api/v1/nodes", new StringContent($$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{name}}}"}}""",
                    Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        using var client = Client();

        var nodes = await client.ListNodeNamesAsync(Budget());

        Assert.Equal(["cn-hangzhou.10.0.1.5", "node-a"], nodes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_api_server_is_a_KubeException_not_an_empty_list()
    {
        var dead = Path.Combine(_sim.Dir, "dead.kubeconfig");
        await File.WriteAllTextAsync(dead, (await File.ReadAllTextAsync(_sim.Kubeconfig)).Replace(new Uri(_sim.Url).Authority, "127.0.0.1:1"));
        using var client = new KubeClient(Kubeconfig.Load(dead), NullLog.Instance,
            new KubeClientOptions { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(10) });

        var e = await Assert.ThrowsAsync<KubeException>(() => client.ListPodsAsync("node-a", Budget()));

        Assert.True(e.IsTransient);
    }
}

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EipCni.Kube;
using EipCni.Tests.Kube;
using static EipCni.Tests.Node.ConfYaml;

namespace EipCni.Tests.Node;

/// <summary>
/// conf/rbac.yaml's rules loaded into KubeSim's RBAC, then the product's KubeClient as each identity: every call the
/// plugin makes is allowed, and what the rules leave out is refused. (The agent's components run under the same file in
/// AgentRbacTests. KubeSim does not check resourceNames; the names are pinned by ConfManifestTests.)
/// </summary>
[Collection("kubesim")]
public sealed class RbacSimTests(KubeSimFixture sim) : IAsyncLifetime
{
    public Task InitializeAsync() => sim.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    /// <summary>A KubeClient authenticated as kube-system/ACCOUNT, under the rules rbac.yaml gives it.</summary>
    private async Task<(KubeClient Client, string Token)> As(string account)
    {
        using var admin = sim.CreateHttpClient(sim.Token);
        (await admin.PostAsync("/_sim/rbac", new StringContent(RbacRules(account), Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var minted = await admin.PostAsync($"/api/v1/namespaces/kube-system/serviceaccounts/{account}/token",
            new StringContent("""{"spec":{"expirationSeconds":600}}""", Encoding.UTF8, "application/json"));
        minted.EnsureSuccessStatusCode();
        var token = JsonNode.Parse(await minted.Content.ReadAsStringAsync())!["status"]!["token"]!.GetValue<string>();
        var kubeconfig = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sim
              cluster: {"{"}server: {sim.Url}, certificate-authority: {sim.CaFile}{"}"}
            users:
            - name: u
              user: {"{"}token: {token}{"}"}
            contexts:
            - name: c
              context: {"{"}cluster: sim, user: u{"}"}
            current-context: c
            """;
        var options = new KubeClientOptions { RequestTimeout = TimeSpan.FromSeconds(5), InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100), NodeName = "node-a" };
        return (new KubeClient(Kubeconfig.Parse(kubeconfig, account, sim.Dir), NullLog.Instance, options), token);
    }

    private async Task<HttpStatusCode> Raw(string token, HttpMethod method, string path, string? body = null)
    {
        using var http = sim.CreateHttpClient(token);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return (await http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task The_plugin_identity_may_make_every_call_the_plugin_makes_and_no_other()
    {
        await sim.PutPodAsync("""{"metadata":{"name":"web-0","namespace":"team-a","uid":"u1"},"spec":{"nodeName":"node-a","readinessGates":[{"conditionType":"k8s.aliyun.com/eip"}]}}""");
        var (client, token) = await As("eip-cni-plugin");
        using (client)
        {
            await client.GetPodAsync("team-a", "web-0", Budget());
            await client.PatchPodAnnotationsAsync("team-a", "web-0", new Dictionary<string, string?> { ["k8s.aliyun.com/allocated-eipAddress"] = "47.0.0.1" }, Budget());
            await client.PatchPodConditionAsync("team-a", "web-0", "k8s.aliyun.com/eip", "True", "EipBound", "bound", Budget());
            await client.CreateEventAsync(new PodEvent("team-a", "web-0", "u1", PodEventType.Normal, "EipBound", "bound"), Budget());
        }
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Get, "/api/v1/pods"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Delete, "/api/v1/namespaces/team-a/pods/web-0"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Get, "/api/v1/namespaces/kube-system/configmaps/eni-config"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Post, "/api/v1/namespaces/kube-system/serviceaccounts/eip-cni-plugin/token", "{}"));
    }

    [Fact]
    public async Task The_agent_identity_may_not_write_pods_or_reach_outside_kube_system()
    {
        // What the agent may do is run by AgentRbacTests (every component under these rules); this is what it may not.
        var (client, token) = await As("eip-cni-agent");
        client.Dispose();
        await sim.PutPodAsync("""{"metadata":{"name":"web-0","namespace":"team-a"},"spec":{"nodeName":"node-a"}}""");
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Patch, "/api/v1/namespaces/team-a/pods/web-0", "{}"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Get, "/api/v1/namespaces/team-a/pods/web-0"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Post, "/api/v1/namespaces/team-a/events", "{}"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Get, "/apis/coordination.k8s.io/v1/namespaces/default/leases/eip-cni-sweeper"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Get, "/api/v1/namespaces/default/configmaps"));
        Assert.Equal(HttpStatusCode.Forbidden, await Raw(token, HttpMethod.Get, "/api/v1/namespaces/kube-system/secrets"));
    }
}

using System.Net;
using System.Text.Json.Nodes;
using EipCni.Kube;
using EipCni.Tests.Support;

namespace EipCni.Tests.Kube;

/// <summary>The calls the agent adds (ConfigMap and Node reads, TokenRequest, lease writes that answer conflicts, events on any object, in-cluster config) against KubeSim.</summary>
[Collection("kubesim-fast")]
public sealed class KubeAgentCallsTests : IAsyncLifetime
{
    private readonly KubeSimFastFixture _sim;

    public KubeAgentCallsTests(KubeSimFastFixture sim) => _sim = sim;

    public Task InitializeAsync() => _sim.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private KubeClient Client(EipCni.Kube.Kubeconfig? config = null) => _sim.Client(config);

    private static CancellationToken Budget(double seconds = 20) => KubeSimFastFixture.Budget(seconds);

    [Fact]
    public async Task GetConfigMap_returns_its_data_or_null()
    {
        await _sim.ApiAsync("POST", "/api/v1/namespaces/kube-system/configmaps",
            """{"metadata":{"name":"eni-config"},"data":{"eni_conf":"{\"enable_eip_pool\":\"true\",\"access_secret\":\"s3cret\"}"}}""");
        using var client = Client();

        var found = await client.GetConfigMapAsync("kube-system", "eni-config", Budget());
        var missing = await client.GetConfigMapAsync("kube-system", "nothing", Budget());

        Assert.Equal("""{"enable_eip_pool":"true","access_secret":"s3cret"}""", found!.Data["eni_conf"]);
        Assert.False(string.IsNullOrEmpty(found.Uid));
        Assert.DoesNotContain("s3cret", found.ToString());
        Assert.Null(missing);
    }

    [Fact]
    public async Task GetNode_returns_labels_provider_and_internal_addresses()
    {
        await _sim.ApiAsync("POST", "/api/v1/nodes", """
            {"metadata":{"name":"cn-hangzhou.10.0.1.5","labels":{"topology.kubernetes.io/zone":"cn-hangzhou-k"}},
             "spec":{"providerID":"cn-hangzhou.i-bp1abc","unschedulable":true},
             "status":{"addresses":[{"type":"InternalIP","address":"10.0.1.5"},{"type":"Hostname","address":"izbp1abc"}]}}
            """);
        using var client = Client();

        var node = await client.GetNodeAsync("cn-hangzhou.10.0.1.5", Budget());
        var missing = await Assert.ThrowsAsync<KubeException>(() => client.GetNodeAsync("ghost", Budget()));

        Assert.Equal("cn-hangzhou-k", node.Labels["topology.kubernetes.io/zone"]);
        Assert.Equal("cn-hangzhou.i-bp1abc", node.ProviderId);
        Assert.True(node.Unschedulable);
        Assert.Equal(["10.0.1.5"], node.InternalIps);
        Assert.True(missing.IsNotFound);
    }

    [Fact]
    public async Task RequestToken_mints_a_token_that_authenticates_as_the_service_account_until_it_expires()
    {
        using var client = Client();
        var before = DateTimeOffset.UtcNow;

        var token = await client.RequestTokenAsync("kube-system", "eip-cni-plugin", TimeSpan.FromSeconds(2), null, Budget());
        using var asPlugin = _sim.CreateHttpClient(token.Token);
        var fresh = await asPlugin.GetAsync("/api/v1/namespaces/default/pods");
        await Task.Delay(token.ExpiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        var expired = await asPlugin.GetAsync("/api/v1/namespaces/default/pods");

        Assert.InRange(token.ExpiresAt, before.AddSeconds(2), before.AddSeconds(4));
        Assert.DoesNotContain(token.Token, token.ToString());
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        var sent = (await _sim.RequestsAsync("POST", "/serviceaccounts/eip-cni-plugin/token")).Single();
        Assert.Equal(2, JsonNode.Parse(sent["body"]!.ToString())!["spec"]!["expirationSeconds"]!.GetValue<long>());
        var users = (await _sim.RequestsAsync()).Select(r => r!["user"]?.ToString()).ToList();
        Assert.Contains("system:serviceaccount:kube-system:eip-cni-plugin", users);
    }

    [Fact]
    public async Task RequestToken_passes_audiences_and_a_refusal_is_the_servers_reason()
    {
        using var client = Client();

        await client.RequestTokenAsync("kube-system", "eip-cni-plugin", TimeSpan.FromMinutes(10), ["https://kubernetes.default.svc.cluster.local", "other"], Budget());
        var tooShort = await Assert.ThrowsAsync<KubeException>(() =>
            client.RequestTokenAsync("kube-system", "eip-cni-plugin", TimeSpan.Zero, null, Budget()));

        var sent = (await _sim.RequestsAsync("POST", "/token")).First();
        Assert.Equal(["https://kubernetes.default.svc.cluster.local", "other"], JsonNode.Parse(sent["body"]!.ToString())!["spec"]!["audiences"]!.AsArray().Select(a => a!.ToString()));
        Assert.Equal(422, tooShort.StatusCode);
        Assert.Equal("Invalid", tooShort.Reason);
    }

    [Fact]
    public async Task Lease_writes_that_lose_a_race_answer_null_without_an_exception_or_a_retry()
    {
        using var client = Client();
        var ct = Budget();
        var now = DateTimeOffset.UtcNow;

        var created = await client.TryCreateLeaseAsync(new LeaseRecord("kube-system", "eip-cni-sweeper", "node-a", 15, now, now, 0), ct);
        var second = await client.TryCreateLeaseAsync(new LeaseRecord("kube-system", "eip-cni-sweeper", "node-b", 15, now, now, 0), ct);
        var renewed = await client.TryUpdateLeaseAsync(created! with { RenewTime = now.AddSeconds(2) }, ct);
        var stale = await client.TryUpdateLeaseAsync(created! with { HolderIdentity = "node-b", LeaseTransitions = 1 }, ct);
        var read = await client.GetLeaseAsync("kube-system", "eip-cni-sweeper", ct);

        Assert.NotNull(created);
        Assert.Null(second);
        Assert.NotNull(renewed);
        Assert.Null(stale);
        Assert.Equal("node-a", read!.HolderIdentity);
        Assert.Equal(renewed!.ResourceVersion, read.ResourceVersion);
        Assert.Single(await _sim.RequestsAsync("PUT", "/leases/eip-cni-sweeper"), r => (int)r["status"]! == 409);
        Assert.Equal(2, (await _sim.RequestsAsync("POST", "/leases")).Count);
    }

    [Fact]
    public async Task An_event_about_a_ConfigMap_names_it_as_the_involved_object()
    {
        await _sim.ApiAsync("POST", "/api/v1/namespaces/kube-system/configmaps", """{"metadata":{"name":"eni-config"},"data":{}}""");
        using var client = Client();
        var configMap = await client.GetConfigMapAsync("kube-system", "eni-config", Budget());

        await client.CreateEventAsync(KubeObjectRef.ConfigMap(configMap!), PodEventType.Warning, "EniConfInvalid", "bad", Budget());

        var e = (await _sim.EventsAsync()).Single()!;
        Assert.Equal("ConfigMap", e["involvedObject"]!["kind"]!.ToString());
        Assert.Equal("eni-config", e["involvedObject"]!["name"]!.ToString());
        Assert.Equal(configMap!.Uid, e["involvedObject"]!["uid"]!.ToString());
        Assert.Equal("Warning", e["type"]!.ToString());
        Assert.Equal("eip-cni-agent", e["source"]!["component"]!.ToString());
    }

    [Fact]
    public async Task InCluster_config_uses_the_service_account_files_and_picks_up_a_rotated_token()
    {
        using var dir = new TempDir("incluster");
        File.Copy(_sim.CaFile, dir.File("ca.crt"));
        File.WriteAllText(dir.File("namespace"), "kube-system\n");
        var first = await MintAsync("eip-cni-agent");
        File.WriteAllText(dir.File("token"), first);
        var port = new Uri(_sim.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string? Env(string name) => name switch { "KUBERNETES_SERVICE_HOST" => "127.0.0.1", "KUBERNETES_SERVICE_PORT" => port, _ => null };

        var config = EipCni.Kube.Kubeconfig.InCluster(Env, dir.Path);
        using var client = Client(config);
        await client.GetConfigMapAsync("kube-system", "x", Budget());
        File.WriteAllText(dir.File("token"), await MintAsync("rotated"));
        await client.GetConfigMapAsync("kube-system", "y", Budget());

        Assert.Equal(new Uri($"https://127.0.0.1:{port}"), config.Server);
        Assert.Equal("kube-system", config.Namespace);
        Assert.Equal(dir.File("token"), config.TokenFile);
        var users = (await _sim.RequestsAsync("GET", "/configmaps/")).Select(r => r["user"]!.ToString()).ToList();
        Assert.Equal(["system:serviceaccount:kube-system:eip-cni-agent", "system:serviceaccount:kube-system:rotated"], users);
    }

    [Theory]
    [InlineData(null, "443", "KUBERNETES_SERVICE_HOST")]
    [InlineData("10.96.0.1", null, "KUBERNETES_SERVICE_PORT")]
    [InlineData("10.96.0.1", "https", "KUBERNETES_SERVICE_PORT")]
    public void InCluster_outside_a_pod_names_what_is_missing(string? host, string? port, string field)
    {
        using var dir = new TempDir("incluster");
        string? Env(string name) => name == "KUBERNETES_SERVICE_HOST" ? host : name == "KUBERNETES_SERVICE_PORT" ? port : null;

        var e = Assert.Throws<KubeconfigException>(() => EipCni.Kube.Kubeconfig.InCluster(Env, dir.Path));

        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void InCluster_over_IPv6_brackets_the_address_and_needs_the_CA()
    {
        using var dir = new TempDir("incluster");
        string? Env(string name) => name == "KUBERNETES_SERVICE_HOST" ? "fd00::1" : name == "KUBERNETES_SERVICE_PORT" ? "443" : null;

        var missingCa = Assert.Throws<KubeconfigException>(() => EipCni.Kube.Kubeconfig.InCluster(Env, dir.Path));
        File.Copy(_sim.CaFile, dir.File("ca.crt"));
        File.WriteAllText(dir.File("token"), "t");
        var config = EipCni.Kube.Kubeconfig.InCluster(Env, dir.Path);

        Assert.EndsWith("ca.crt", missingCa.Field);
        Assert.Equal(new Uri("https://[fd00::1]:443"), config.Server);
        Assert.Null(config.Namespace);
    }

    private async Task<string> MintAsync(string serviceAccount)
    {
        var answer = await _sim.ApiAsync("POST", $"/api/v1/namespaces/kube-system/serviceaccounts/{serviceAccount}/token", """{"spec":{"expirationSeconds":600}}""");
        return answer["status"]!["token"]!.ToString();
    }
}

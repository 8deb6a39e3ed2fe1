using System.Net;
using System.Text.Json.Nodes;

namespace KubeSim.Tests;

/// <summary>The minimal RBAC switch: once a user has rules it may do only what they allow, and is told so in the apiserver's words.</summary>
[Collection("kubesim")]
public sealed class AccessTests(KubeSimFixture fixture) : SimTest(fixture)
{
    private const string User = "system:serviceaccount:kube-system:agent";
    private KubeApi? _agent;

    private KubeApi Agent => _agent!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Sim.AdminAsync("POST", "/_sim/pods", """{"metadata":{"name":"p","namespace":"ns"},"spec":{"nodeName":"n1"}}""");
        var (_, answer) = await Api.SendAsync("POST", "/api/v1/namespaces/kube-system/serviceaccounts/agent/token", """{"spec":{"expirationSeconds":300}}""");
        _agent = new KubeApi(Sim.CreateClient(answer["status"]!["token"]!.GetValue<string>()));
    }

    public override void Dispose()
    {
        _agent?.Dispose();
        base.Dispose();
    }

    private Task Allow(string rules) => Sim.AdminAsync("POST", "/_sim/rbac", $$$"""{"serviceAccount":"kube-system/agent","rules":{{{rules}}}}""");

    private async Task<string> Denied(string method, string path, string? body = null, string contentType = "application/json") =>
        (await Agent.FailsAsync(HttpStatusCode.Forbidden, "Forbidden", method, path, body, contentType))["message"]!.GetValue<string>();

    [Fact]
    public async Task Without_rules_a_service_account_may_do_anything()
    {
        await Agent.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p/status", """{"status":{"phase":"Running"}}""", KubeApi.Merge);
        await Agent.OkAsync("GET", "/api/v1/nodes");
    }

    [Fact]
    public async Task With_rules_anything_else_is_403_in_the_apiservers_words()
    {
        await Allow("""[{"verbs":["get","watch"],"resources":["pods"]},{"verbs":["patch"],"resources":["pods/status"],"namespaces":["ns"]}]""");

        await Agent.OkAsync("GET", "/api/v1/namespaces/ns/pods/p");
        await Agent.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p/status", """{"status":{"phase":"Running"}}""", KubeApi.Merge);
        Assert.Equal("pods \"p\" is forbidden: User \"system:serviceaccount:kube-system:agent\" cannot patch resource \"pods\" in API group \"\" in the namespace \"ns\"",
            await Denied("PATCH", "/api/v1/namespaces/ns/pods/p", "{}", KubeApi.Merge));
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:kube-system:agent\" cannot list resource \"pods\" in API group \"\" at the cluster scope",
            await Denied("GET", "/api/v1/pods"));
        Assert.Equal("leases.coordination.k8s.io \"l\" is forbidden: User \"system:serviceaccount:kube-system:agent\" cannot update resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"kube-system\"",
            await Denied("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l", """{"metadata":{"name":"l"}}"""));
        Assert.Equal("serviceaccounts \"agent\" is forbidden: User \"system:serviceaccount:kube-system:agent\" cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"kube-system\"",
            await Denied("POST", "/api/v1/namespaces/kube-system/serviceaccounts/agent/token", "{}"));
        // A namespaced rule does not reach another namespace.
        await Sim.AdminAsync("POST", "/_sim/pods", """{"metadata":{"name":"q","namespace":"other"}}""");
        await Denied("PATCH", "/api/v1/namespaces/other/pods/q/status", "{}", KubeApi.Merge);

        // The watch this agent is allowed: a field selector on the pod's name makes it a request for that name.
        await using var watch = await WatchReader.OpenAsync(Agent.Http, "/api/v1/namespaces/ns/pods?watch=true&fieldSelector=metadata.name%3Dp");
        Assert.Equal(HttpStatusCode.OK, watch.Status);
        Assert.Equal("pods \"p\" is forbidden: User \"system:serviceaccount:kube-system:agent\" cannot list resource \"pods\" in API group \"\" in the namespace \"ns\"",
            await Denied("GET", "/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dp"));
    }

    [Fact]
    public async Task The_recordings_show_what_was_refused_and_removing_the_rules_restores_access()
    {
        await Allow("[]");
        await Denied("GET", "/api/v1/nodes");
        var refused = ((JsonArray)await Sim.AdminAsync("GET", $"/_sim/requests?user={User}")).Single()!;
        Assert.Equal((403, "list", "nodes"), (refused["status"]!.GetValue<int>(), refused["verb"]!.GetValue<string>(), refused["resource"]!.GetValue<string>()));

        await Sim.AdminAsync("DELETE", $"/_sim/rbac?user={User}");
        await Agent.OkAsync("GET", "/api/v1/nodes");
    }

    [Fact]
    public async Task The_read_only_user_reads_and_watches_but_cannot_write()
    {
        using var readOnly = new KubeApi(Sim.CreateClient(Sim.ReadOnlyToken));
        await readOnly.OkAsync("GET", "/api/v1/pods");
        await using var watch = await WatchReader.OpenAsync(readOnly.Http, "/api/v1/pods?watch=true");
        Assert.Equal(HttpStatusCode.OK, watch.Status);
        await readOnly.FailsAsync(HttpStatusCode.Forbidden, "Forbidden", "POST", "/api/v1/nodes", """{"metadata":{"name":"n"}}""");
    }
}

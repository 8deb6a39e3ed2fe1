using System.Diagnostics;
using System.Net;

namespace KubeSim.Tests;

/// <summary>Lists as a client pages and resumes them: kind, resourceVersion, key order, limit/continue on a consistent snapshot.</summary>
[Collection("kubesim")]
public sealed class ListTests(KubeSimFixture fixture) : SimTest(fixture)
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var (ns, name) in new[] { ("b", "x"), ("a", "z"), ("a", "y") })
            await Api.OkAsync("POST", $"/api/v1/namespaces/{ns}/configmaps", $$$"""{"metadata":{"name":"{{{name}}}"}}""");
    }

    [Fact]
    public async Task A_list_has_its_kind_the_clusters_resourceVersion_and_items_in_namespace_then_name_order()
    {
        var last = await Api.OkAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"n"}}""");
        var list = await Api.GetAsync("/api/v1/configmaps");

        Assert.Equal(("ConfigMapList", "v1"), (list["kind"]!.GetValue<string>(), list["apiVersion"]!.GetValue<string>()));
        Assert.Equal(KubeApi.Rv(last), KubeApi.Rv(list)); // the cluster's, not the newest configmap's
        Assert.Equal(["y", "z", "x"], KubeApi.Names(list));
        Assert.Equal("LeaseList", (await Api.GetAsync("/apis/coordination.k8s.io/v1/leases"))["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Limit_and_continue_page_through_the_snapshot_of_the_first_page()
    {
        var first = await Api.GetAsync("/api/v1/configmaps?limit=2");
        Assert.Equal(["y", "z"], KubeApi.Names(first));
        Assert.Equal(1, first["metadata"]!["remainingItemCount"]!.GetValue<int>());
        var token = first["metadata"]!["continue"]!.GetValue<string>();

        // Changes after the first page do not show in the rest of it.
        await Api.OkAsync("DELETE", "/api/v1/namespaces/b/configmaps/x");
        await Api.OkAsync("POST", "/api/v1/namespaces/c/configmaps", """{"metadata":{"name":"new"}}""");

        var rest = await Api.GetAsync("/api/v1/configmaps?limit=2&continue=" + Uri.EscapeDataString(token));
        Assert.Equal(["x"], KubeApi.Names(rest));
        Assert.Equal(KubeApi.Rv(first), KubeApi.Rv(rest));
        Assert.Null(rest["metadata"]!["continue"]);
    }

    [Fact]
    public async Task A_continue_token_older_than_the_history_is_410_Expired_with_a_fresh_token()
    {
        var first = await Api.GetAsync("/api/v1/configmaps?limit=1");
        await Api.OkAsync("POST", "/api/v1/namespaces/c/configmaps", """{"metadata":{"name":"later"}}""");
        await Sim.AdminAsync("POST", "/_sim/compact?resource=configmaps"); // etcd compacted past the token's revision

        var status = await Api.FailsAsync(HttpStatusCode.Gone, "Expired", "GET",
            "/api/v1/configmaps?limit=1&continue=" + Uri.EscapeDataString(first["metadata"]!["continue"]!.GetValue<string>()));
        Assert.StartsWith("The provided continue parameter is too old", status["message"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(status["metadata"]!["continue"]?.GetValue<string>()));
    }

    [Fact]
    public async Task ResourceVersionMatch_Exact_lists_a_past_state()
    {
        var then = KubeApi.Rv(await Api.GetAsync("/api/v1/configmaps"));
        await Api.OkAsync("DELETE", "/api/v1/namespaces/a/configmaps/y");

        var past = await Api.GetAsync($"/api/v1/configmaps?resourceVersion={then}&resourceVersionMatch=Exact");
        Assert.Equal(["y", "z", "x"], KubeApi.Names(past));
        Assert.Equal(then, KubeApi.Rv(past));
    }

    [Fact]
    public async Task A_resourceVersion_the_cluster_has_not_reached_is_504_after_the_apiservers_wait()
    {
        var clock = Stopwatch.StartNew();
        var status = await Api.FailsAsync(HttpStatusCode.GatewayTimeout, "Timeout", "GET", "/api/v1/configmaps?resourceVersion=99999999");
        Assert.InRange(clock.ElapsedMilliseconds, 2500, 10000);
        Assert.StartsWith("Too large resource version: 99999999, current: ", status["message"]!.GetValue<string>());
        Assert.Equal("ResourceVersionTooLarge", status["details"]!["causes"]![0]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_continue_token_is_400()
    {
        await Api.FailsAsync(HttpStatusCode.BadRequest, "BadRequest", "GET", "/api/v1/configmaps?limit=1&continue=garbage");
    }
}

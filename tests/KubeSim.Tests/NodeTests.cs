using System.Net;

namespace KubeSim.Tests;

/// <summary>core/v1 Nodes, cluster-scoped: enough for tests to add and remove nodes and for clients to read and watch them.</summary>
[Collection("kubesim")]
public sealed class NodeTests(KubeSimFixture fixture) : SimTest(fixture)
{
    [Fact]
    public async Task Nodes_are_created_read_listed_watched_and_deleted_without_a_namespace()
    {
        await using var watch = await WatchReader.OpenAsync(Api.Http, "/api/v1/nodes?watch=true");
        await Sim.WaitForWatchesAsync(1);

        var (code, node) = await Api.SendAsync("POST", "/api/v1/nodes",
            """{"metadata":{"name":"n1","namespace":"ignored"},"spec":{"providerID":"cn-hangzhou.i-1"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Null(node["metadata"]!["namespace"]);
        Assert.Equal("cn-hangzhou.i-1", (await Api.GetAsync("/api/v1/nodes/n1"))["spec"]!["providerID"]!.GetValue<string>());
        Assert.Equal(["n1"], KubeApi.Names(await Api.GetAsync("/api/v1/nodes")));
        await Api.FailsAsync(HttpStatusCode.Conflict, "AlreadyExists", "POST", "/api/v1/nodes", """{"metadata":{"name":"n1"}}""");

        var deleted = await Api.OkAsync("DELETE", "/api/v1/nodes/n1");
        Assert.Equal("Success", deleted["status"]!.GetValue<string>());
        await Api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "GET", "/api/v1/nodes/n1");

        Assert.Equal("n1", (await watch.ExpectAsync("ADDED"))["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("n1", (await watch.ExpectAsync("DELETED"))["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_main_resource_ignores_status_and_the_status_subresource_changes_only_status()
    {
        await Api.OkAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"n1"},"status":{"phase":"x"}}""");
        var main = await Api.OkAsync("PATCH", "/api/v1/nodes/n1", """{"metadata":{"labels":{"a":"1"}},"status":{"phase":"y"}}""", KubeApi.Strategic);
        Assert.Equal("x", main["status"]!["phase"]!.GetValue<string>());

        var status = await Api.OkAsync("PATCH", "/api/v1/nodes/n1/status",
            """{"metadata":{"labels":{"a":"2"}},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}}""", KubeApi.Strategic);
        Assert.Equal("1", status["metadata"]!["labels"]!["a"]!.GetValue<string>());
        Assert.Equal("10.0.0.1", status["status"]!["addresses"]![0]!["address"]!.GetValue<string>());
    }
}

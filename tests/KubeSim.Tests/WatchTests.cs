using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace KubeSim.Tests;

/// <summary>Watches as a list-then-watch client sees them: the stream, the event types, bookmarks, timeouts and 410 Expired.</summary>
[Collection("kubesim")]
public sealed class WatchTests(KubeSimFixture fixture) : SimTest(fixture)
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Api.OkAsync("POST", "/api/v1/namespaces/ns/pods", """{"metadata":{"name":"p1","labels":{"app":"web"}},"spec":{"nodeName":"n1"}}""");
    }

    private Task<WatchReader> Watch(string pathAndQuery) => WatchReader.OpenAsync(Api.Http, pathAndQuery);

    [Fact]
    public async Task A_watch_from_the_lists_resourceVersion_streams_chunked_json_and_sees_a_patch_as_MODIFIED_at_once()
    {
        var list = await Api.GetAsync("/api/v1/namespaces/ns/pods");
        await using var watch = await Watch($"/api/v1/namespaces/ns/pods?watch=true&resourceVersion={KubeApi.Rv(list)}");
        Assert.Equal((HttpStatusCode.OK, "application/json", true), (watch.Status, watch.ContentType, watch.Chunked));
        await Sim.WaitForWatchesAsync(1);

        var clock = Stopwatch.StartNew();
        var patched = await Api.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p1", """{"metadata":{"labels":{"tier":"1"}}}""", KubeApi.Merge);
        var seen = await watch.ExpectAsync("MODIFIED", timeoutMs: 2000);

        Assert.True(clock.ElapsedMilliseconds < 1000, $"MODIFIED took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(KubeApi.Rv(patched), KubeApi.Rv(seen));
        Assert.Equal("1", seen["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal(("Pod", "v1"), (seen["kind"]!.GetValue<string>(), seen["apiVersion"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("watch=true")]
    [InlineData("watch=1")]
    [InlineData("watch=true&resourceVersion=0")]
    public async Task A_watch_without_a_resourceVersion_starts_with_ADDED_for_each_existing_object(string query)
    {
        await Api.OkAsync("POST", "/api/v1/namespaces/ns/pods", """{"metadata":{"name":"p2"}}""");
        await using var watch = await Watch("/api/v1/namespaces/ns/pods?" + query);

        Assert.Equal("p1", (await watch.ExpectAsync("ADDED"))["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("p2", (await watch.ExpectAsync("ADDED"))["metadata"]!["name"]!.GetValue<string>());
        await watch.ExpectQuietAsync(300);
    }

    [Fact]
    public async Task Changes_of_every_type_take_increasing_resourceVersions_from_one_counter()
    {
        var list = await Api.GetAsync("/api/v1/configmaps");
        await using var watch = await Watch($"/api/v1/configmaps?watch=true&resourceVersion={KubeApi.Rv(list)}");
        await Sim.WaitForWatchesAsync(1);

        var a = await Api.OkAsync("POST", "/api/v1/namespaces/ns/configmaps", """{"metadata":{"name":"a"},"data":{"k":"1"}}""");
        var node = await Api.OkAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"n9"}}""");
        var b = await Api.OkAsync("PUT", "/api/v1/namespaces/ns/configmaps/a", """{"metadata":{"name":"a"},"data":{"k":"2"}}""");
        await Api.OkAsync("DELETE", "/api/v1/namespaces/ns/configmaps/a");

        var added = await watch.ExpectAsync("ADDED");
        var modified = await watch.ExpectAsync("MODIFIED");
        var deleted = await watch.ExpectAsync("DELETED");
        var versions = new[] { added, node, modified, deleted }.Select(o => long.Parse(KubeApi.Rv(o))).ToArray();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Length, versions.Distinct().Count());
        Assert.Equal((KubeApi.Rv(a), KubeApi.Rv(b)), (KubeApi.Rv(added), KubeApi.Rv(modified)));
        Assert.Equal("2", deleted["data"]!["k"]!.GetValue<string>()); // DELETED carries the last state
    }

    [Fact]
    public async Task Bookmarks_come_only_when_asked_for_and_carry_only_kind_apiVersion_and_resourceVersion()
    {
        await using var plain = await Watch("/api/v1/namespaces/ns/pods?watch=true&resourceVersion=" + KubeApi.Rv(await Api.GetAsync("/api/v1/namespaces/ns/pods")));
        await using var watch = await Watch("/api/v1/namespaces/ns/pods?watch=true&allowWatchBookmarks=true&resourceVersion="
                                            + KubeApi.Rv(await Api.GetAsync("/api/v1/namespaces/ns/pods")));
        await Sim.WaitForWatchesAsync(2);
        var node = await Api.OkAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"elsewhere"}}""");

        var bookmark = await watch.ExpectAsync("BOOKMARK", timeoutMs: 3000);
        Assert.Equal(["kind", "apiVersion", "metadata"], bookmark.Select(kv => kv.Key).ToArray());
        Assert.Equal(("Pod", "v1"), (bookmark["kind"]!.GetValue<string>(), bookmark["apiVersion"]!.GetValue<string>()));
        Assert.Equal(["resourceVersion"], bookmark["metadata"]!.AsObject().Select(kv => kv.Key).ToArray());
        // The bookmark moves a pod watcher past a change it never sees (a node's), so it can resume from there.
        Assert.True(long.Parse(KubeApi.Rv(bookmark)) >= long.Parse(KubeApi.Rv(node)));

        var first = await plain.NextAsync(1000, skipBookmarks: false).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
        Assert.Null(first);
    }

    [Fact]
    public async Task A_watch_resumed_from_a_bookmark_misses_nothing_after_it()
    {
        var list = await Api.GetAsync("/api/v1/namespaces/ns/pods");
        string resumeAt;
        await using (var watch = await Watch($"/api/v1/namespaces/ns/pods?watch=true&allowWatchBookmarks=true&resourceVersion={KubeApi.Rv(list)}"))
        {
            resumeAt = KubeApi.Rv(await watch.ExpectAsync("BOOKMARK", timeoutMs: 3000));
        }
        await Api.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p1", """{"metadata":{"labels":{"v":"2"}}}""", KubeApi.Merge);

        await using var resumed = await Watch($"/api/v1/namespaces/ns/pods?watch=true&resourceVersion={resumeAt}");
        Assert.Equal("2", (await resumed.ExpectAsync("MODIFIED"))["metadata"]!["labels"]!["v"]!.GetValue<string>());
    }

    [Fact]
    public async Task TimeoutSeconds_ends_the_stream_cleanly()
    {
        var clock = Stopwatch.StartNew();
        await using var watch = await Watch("/api/v1/namespaces/ns/pods?watch=true&timeoutSeconds=1&resourceVersion="
                                            + KubeApi.Rv(await Api.GetAsync("/api/v1/namespaces/ns/pods")));
        await watch.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange(clock.ElapsedMilliseconds, 900, 4000);
        Assert.Null(await watch.NextAsync(100));
    }

    [Fact]
    public async Task A_resourceVersion_the_history_no_longer_holds_gets_one_ERROR_event_with_410_Expired()
    {
        var from = KubeApi.Rv(await Api.GetAsync("/api/v1/namespaces/ns/pods"));
        for (var i = 0; i < 25; i++) // the test server keeps 20 changes per type
            await Api.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p1", "{\"metadata\":{\"labels\":{\"n\":\"" + i + "\"}}}", KubeApi.Merge);

        await using var watch = await Watch($"/api/v1/namespaces/ns/pods?watch=true&resourceVersion={from}");
        Assert.Equal(HttpStatusCode.OK, watch.Status); // the error comes in the stream, as from the watch cache
        var status = await watch.ExpectAsync("ERROR");
        KubeApi.AssertStatus(status, 410, "Expired");
        Assert.StartsWith($"too old resource version: {from} (", status["message"]!.GetValue<string>());
        Assert.Null(await watch.NextAsync(2000));

        // Another type's history is its own: a configmap watch from the same resourceVersion still works.
        await using var other = await Watch($"/api/v1/configmaps?watch=true&resourceVersion={from}");
        await other.ExpectQuietAsync(200);
    }

    [Fact]
    public async Task Compaction_expires_older_resourceVersions_but_a_watch_from_now_works()
    {
        var before = KubeApi.Rv(await Api.GetAsync("/api/v1/namespaces/ns/pods"));
        await Api.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p1", """{"metadata":{"labels":{"c":"1"}}}""", KubeApi.Merge);
        var now = (await Sim.AdminAsync("POST", "/_sim/compact"))["resourceVersion"]!.GetValue<string>();

        await using (var old = await Watch($"/api/v1/namespaces/ns/pods?watch=true&resourceVersion={before}"))
            KubeApi.AssertStatus(await old.ExpectAsync("ERROR"), 410, "Expired");

        await using var fresh = await Watch($"/api/v1/namespaces/ns/pods?watch=true&resourceVersion={now}");
        await Sim.WaitForWatchesAsync(1);
        await Api.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p1", """{"metadata":{"labels":{"c":"2"}}}""", KubeApi.Merge);
        await fresh.ExpectAsync("MODIFIED");
    }

    [Fact]
    public async Task An_object_leaving_a_selection_is_DELETED_and_one_entering_it_is_ADDED()
    {
        var list = await Api.GetAsync("/api/v1/pods?labelSelector=app%3Dweb");
        await using var watch = await Watch($"/api/v1/pods?watch=true&labelSelector=app%3Dweb&resourceVersion={KubeApi.Rv(list)}");
        await Sim.WaitForWatchesAsync(1);

        var moved = await Api.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p1", """{"metadata":{"labels":{"app":"db"}}}""", KubeApi.Merge);
        var left = await watch.ExpectAsync("DELETED");
        Assert.Equal("web", left["metadata"]!["labels"]!["app"]!.GetValue<string>()); // the state it was selected in...
        Assert.Equal(KubeApi.Rv(moved), KubeApi.Rv(left)); // ...at the change's resourceVersion

        await Api.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p1", """{"metadata":{"labels":{"app":"web"}}}""", KubeApi.Merge);
        await watch.ExpectAsync("ADDED");
    }

    [Fact]
    public async Task A_fieldSelector_on_spec_nodeName_watches_only_that_nodes_pods()
    {
        await using var watch = await Watch("/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dn2");
        await Sim.WaitForWatchesAsync(1);
        await Api.OkAsync("POST", "/api/v1/namespaces/ns/pods", """{"metadata":{"name":"on-n1"},"spec":{"nodeName":"n1"}}""");
        await Api.OkAsync("POST", "/api/v1/namespaces/other/pods", """{"metadata":{"name":"on-n2"},"spec":{"nodeName":"n2"}}""");

        var added = await watch.ExpectAsync("ADDED");
        Assert.Equal(("other", "on-n2"), (added["metadata"]!["namespace"]!.GetValue<string>(), added["metadata"]!["name"]!.GetValue<string>()));
        await watch.ExpectQuietAsync(300);
    }

    [Fact]
    public async Task Closing_watches_through_the_admin_API_ends_their_streams_and_they_are_no_longer_listed()
    {
        await using var pods = await Watch("/api/v1/pods?watch=true");
        await using var leases = await Watch("/apis/coordination.k8s.io/v1/leases?watch=true");
        await Sim.WaitForWatchesAsync(2);
        var open = (JsonArray)await Sim.AdminAsync("GET", "/_sim/watches");
        Assert.Equal(["leases", "pods"], open.Select(w => w!["resource"]!.GetValue<string>()).Order().ToArray());

        Assert.Equal(1, (await Sim.AdminAsync("POST", "/_sim/watches/close?resource=pods"))["closed"]!.GetValue<int>());
        await pods.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(leases.Ended.IsCompleted);
        Assert.Single((JsonArray)await Sim.AdminAsync("GET", "/_sim/watches"));
    }

    [Fact]
    public async Task A_watch_is_recorded_when_it_starts_with_its_verb_and_query()
    {
        await using var watch = await Watch("/api/v1/namespaces/ns/pods?watch=true&fieldSelector=metadata.name%3Dp1");
        await Sim.WaitForWatchesAsync(1);

        var recorded = ((JsonArray)await Sim.AdminAsync("GET", "/_sim/requests")).Last()!;
        Assert.Equal(("watch", "pods", "ns", "p1"), (recorded["verb"]!.GetValue<string>(), recorded["resource"]!.GetValue<string>(),
            recorded["namespace"]!.GetValue<string>(), recorded["name"]!.GetValue<string>()));
        Assert.Contains("watch=true", recorded["query"]!.GetValue<string>());
    }
}

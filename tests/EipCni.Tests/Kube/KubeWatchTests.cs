using System.Text.Json.Nodes;
using EipCni.Kube;
using EipCni.Tests.Fakes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Kube;

/// <summary>Lists with selectors, watches and the informer against the real KubeSim over HTTPS.</summary>
[Collection("kubesim-fast")]
public sealed class KubeWatchTests : IAsyncLifetime
{
    private readonly KubeSimFastFixture _sim;

    public KubeWatchTests(KubeSimFastFixture sim) => _sim = sim;

    public Task InitializeAsync() => _sim.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;


    private static readonly InformerOptions QuickInformer = new()
    {
        WatchTimeout = TimeSpan.FromSeconds(30),
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
    };

    private KubeClient Client() => _sim.Client();

    private static CancellationToken Budget(double seconds = 20) => KubeSimFastFixture.Budget(seconds);

    private Task PodAsync(string name, string node, string app = "web", string ns = "team-a") => _sim.PutPodAsync($$$"""
        {"metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"app":"{{{app}}}"}},
         "spec":{"nodeName":"{{{node}}}","containers":[{"name":"c","image":"busybox"}]},"status":{"phase":"Running"}}
        """);

    private Task ConfigMapAsync(string name, string data, string ns = "kube-system") =>
        _sim.ApiAsync("POST", $"/api/v1/namespaces/{ns}/configmaps", $$"""{"metadata":{"name":"{{name}}"},"data":""" + data + "}");

    [Fact]
    public async Task List_filters_by_field_and_label_selector_and_returns_the_resourceVersion()
    {
        await PodAsync("a-1", "node-a");
        await PodAsync("a-2", "node-a", app: "db");
        await PodAsync("b-1", "node-b");
        using var client = Client();

        var onNode = await client.ListAsync(KubeResources.Pods, null, KubeSelector.OnNode("node-a"), null, Budget());
        var webOnNode = await client.ListAsync(KubeResources.Pods, "team-a", new KubeSelector("spec.nodeName=node-a", "app=web"), null, Budget());
        var none = await client.ListAsync(KubeResources.Pods, "other", KubeSelector.Everything, null, Budget());
        var bad = await Assert.ThrowsAsync<KubeException>(() => client.ListAsync(KubeResources.Pods, null, new KubeSelector("spec.color=red"), null, Budget()));

        Assert.Equal(["a-1", "a-2"], onNode.Items.Select(p => p.Name));
        Assert.Equal("web", onNode.Items[0].Labels["app"]);
        Assert.True(long.Parse(onNode.ResourceVersion) > 0);
        Assert.Equal(["a-1"], webOnNode.Items.Select(p => p.Name));
        Assert.Empty(none.Items);
        Assert.Equal(400, bad.StatusCode);
        var query = (await _sim.RequestsAsync("GET", "/api/v1/pods")).First()["query"]!.ToString();
        Assert.Contains("fieldSelector=spec.nodeName%3Dnode-a", query);
    }

    [Fact]
    public async Task Watch_from_a_list_sees_changes_in_order_then_bookmarks_and_ends_at_its_timeout()
    {
        await ConfigMapAsync("eni-config", """{"eni_conf":"{}"}""");
        using var client = Client();
        var list = await client.ListAsync(KubeResources.ConfigMaps, "kube-system", KubeSelector.Named("eni-config"), null, Budget());
        var events = new List<WatchEvent<ConfigMapView>>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in client.WatchAsync(KubeResources.ConfigMaps, "kube-system", KubeSelector.Named("eni-config"), list.ResourceVersion,
                               new WatchOptions { Timeout = TimeSpan.FromSeconds(2) }, Budget()))
                lock (events) events.Add(e);
        });
        await _sim.WaitForWatchesAsync(1);
        var started = DateTime.UtcNow;

        await _sim.ApiAsync("PATCH", "/api/v1/namespaces/kube-system/configmaps/eni-config", """{"data":{"eni_conf":"{\"enable_eip_pool\":\"true\"}"}}""",
            "application/merge-patch+json");
        await ConfigMapAsync("other", "{}"); // not selected
        await _sim.ApiAsync("DELETE", "/api/v1/namespaces/kube-system/configmaps/eni-config");
        await watching;
        var lasted = DateTime.UtcNow - started;

        List<WatchEvent<ConfigMapView>> seen;
        lock (events) seen = events.ToList();
        var changes = seen.Where(e => e.Type != WatchEventType.Bookmark).ToList();
        Assert.Equal([WatchEventType.Modified, WatchEventType.Deleted], changes.Select(e => e.Type));
        Assert.Equal("""{"enable_eip_pool":"true"}""", changes[0].Object!.Data["eni_conf"]);
        Assert.Equal("eni-config", changes[1].Object!.Name);
        Assert.True(long.Parse(changes[1].ResourceVersion) > long.Parse(changes[0].ResourceVersion));
        var bookmark = Assert.IsType<WatchEvent<ConfigMapView>>(seen.Last(e => e.Type == WatchEventType.Bookmark));
        Assert.Null(bookmark.Object);
        Assert.True(long.Parse(bookmark.ResourceVersion) >= long.Parse(changes[1].ResourceVersion));
        Assert.InRange(lasted.TotalSeconds, 1.0, 6);
        var query = (await _sim.RequestsAsync("GET", "/configmaps")).Last()["query"]!.ToString();
        Assert.Contains("watch=true", query);
        Assert.Contains("allowWatchBookmarks=true", query);
        Assert.Contains("timeoutSeconds=2", query);
    }

    [Fact]
    public async Task A_watch_from_a_compacted_resourceVersion_is_410_Expired()
    {
        await ConfigMapAsync("eni-config", "{}");
        using var client = Client();
        var list = await client.ListAsync(KubeResources.ConfigMaps, "kube-system", KubeSelector.Everything, null, Budget());
        await ConfigMapAsync("second", "{}");
        await _sim.AdminAsync("POST", "/_sim/compact?resource=configmaps");

        var e = await Assert.ThrowsAsync<KubeException>(async () =>
        {
            await foreach (var _ in client.WatchAsync(KubeResources.ConfigMaps, "kube-system", KubeSelector.Everything, list.ResourceVersion,
                               new WatchOptions { Timeout = TimeSpan.FromSeconds(5) }, Budget())) { }
        });

        Assert.Equal(410, e.StatusCode);
        Assert.Equal("Expired", e.Reason);
    }

    [Fact]
    public async Task A_watch_the_server_refuses_is_its_status()
    {
        using var client = Client();
        await _sim.FaultAsync("""{"method":"GET","pathContains":"/configmaps","status":503,"count":1}""");

        var e = await Assert.ThrowsAsync<KubeException>(async () =>
        {
            await foreach (var _ in client.WatchAsync(KubeResources.ConfigMaps, "kube-system", KubeSelector.Everything, "1",
                               new WatchOptions(), Budget())) { }
        });

        Assert.Equal(503, e.StatusCode);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task Informer_lists_then_follows_the_pods_of_its_node()
    {
        await PodAsync("a-1", "node-a");
        await PodAsync("b-1", "node-b");
        using var client = Client();
        var events = new List<(InformerEventKind, string?)>();
        var informer = new Informer<PodView>(client.ListWatch(KubeResources.Pods, null, KubeSelector.OnNode("node-a")),
            (e, _) => { lock (events) events.Add((e.Kind, e.Object?.Name)); return Task.CompletedTask; }, NullLog.Instance, QuickInformer);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);

        await informer.WaitForSyncAsync(Budget());
        await _sim.WaitForWatchesAsync(1, "pods");
        await PodAsync("a-2", "node-a");
        await PodAsync("b-2", "node-b");
        await _sim.PutPodAsync("""{"metadata":{"name":"a-1","namespace":"team-a","labels":{"app":"changed"}},"spec":{"nodeName":"node-a"}}""");
        await _sim.AdminAsync("DELETE", "/_sim/pods/team-a/a-2");
        Wait.Until(() => { lock (events) return events.Count >= 5; }, TimeSpan.FromSeconds(10), "five informer events");
        await stop.CancelAsync();
        await running;

        lock (events)
            Assert.Equal([(InformerEventKind.Added, "a-1"), (InformerEventKind.Synced, null), (InformerEventKind.Added, "a-2"),
                (InformerEventKind.Updated, "a-1"), (InformerEventKind.Deleted, "a-2")], events);
        Assert.Equal(["a-1"], informer.Snapshot().Select(p => p.Name));
        Assert.Equal("changed", informer.Get("team-a", "a-1")!.Labels["app"]);
    }

    [Fact]
    public async Task Informer_rewatches_when_the_stream_ends_and_relists_on_410_with_what_it_missed()
    {
        await ConfigMapAsync("keep", "{}");
        await ConfigMapAsync("gone", "{}");
        using var client = Client();
        var log = new RecordingLog();
        var events = new List<(InformerEventKind, string?)>();
        var informer = new Informer<ConfigMapView>(client.ListWatch(KubeResources.ConfigMaps, "kube-system", KubeSelector.Everything),
            (e, _) => { lock (events) events.Add((e.Kind, e.Object?.Name)); return Task.CompletedTask; }, log, QuickInformer);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(Budget());
        await _sim.WaitForWatchesAsync(1, "configmaps");

        // A server restart ends the stream: the informer watches again from where it was, without a list.
        await _sim.AdminAsync("POST", "/_sim/watches/close?resource=configmaps");
        await _sim.WaitForWatchesAsync(1, "configmaps");
        await ConfigMapAsync("added-after-restart", "{}");
        Wait.Until(() => informer.Get("kube-system", "added-after-restart") is not null, TimeSpan.FromSeconds(10), "the change after the re-watch");
        var listsBefore = (await _sim.RequestsAsync("GET", "/configmaps")).Count(r => !r["query"]!.ToString().Contains("watch=true"));

        // Changes while no watch is open, then history compacted: the next watch gets 410, the re-list tells the difference.
        await _sim.FaultAsync("""{"method":"GET","pathContains":"/configmaps","status":503}""");
        await _sim.AdminAsync("POST", "/_sim/watches/close?resource=configmaps");
        await _sim.ApiAsync("DELETE", "/api/v1/namespaces/kube-system/configmaps/gone");
        await ConfigMapAsync("added-while-away", "{}");
        await _sim.AdminAsync("POST", "/_sim/compact?resource=configmaps");
        Wait.Until(() => log.Contains("watch failed", LogLevel.Warn), TimeSpan.FromSeconds(10), "a failed re-watch");
        await _sim.ClearFaultsAsync();
        Wait.Until(() => informer.Get("kube-system", "added-while-away") is not null && informer.Get("kube-system", "gone") is null,
            TimeSpan.FromSeconds(15), "the re-list after 410");
        await stop.CancelAsync();
        await running;

        var lists = (await _sim.RequestsAsync("GET", "/configmaps")).Count(r => !r["query"]!.ToString().Contains("watch=true"));
        Assert.Equal(1, listsBefore);
        Assert.Equal(2, lists);
        lock (events)
        {
            Assert.Contains((InformerEventKind.Deleted, "gone"), events);
            Assert.Contains((InformerEventKind.Added, "added-while-away"), events);
            Assert.Equal(2, events.Count(e => e.Item1 == InformerEventKind.Synced));
        }
        Assert.True(log.Contains("watch expired; listing again", LogLevel.Info), log.ToString());
        Assert.True(log.Contains("watch failed", LogLevel.Warn), log.ToString());
        Assert.Equal(["added-after-restart", "added-while-away", "keep"], informer.Snapshot().Select(c => c.Name).Order());
    }

    [Fact]
    public async Task Informer_backs_off_while_the_list_fails_then_syncs()
    {
        await ConfigMapAsync("eni-config", "{}");
        using var client = Client();
        await _sim.FaultAsync("""{"method":"GET","pathContains":"/configmaps","status":403,"count":3}""");
        var informer = new Informer<ConfigMapView>(client.ListWatch(KubeResources.ConfigMaps, "kube-system", KubeSelector.Named("eni-config")),
            (_, _) => Task.CompletedTask, NullLog.Instance, QuickInformer);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);

        await informer.WaitForSyncAsync(Budget());
        await stop.CancelAsync();
        await running;

        Assert.Equal("eni-config", Assert.Single(informer.Snapshot()).Name);
        Assert.Equal(4, (await _sim.RequestsAsync("GET", "/configmaps")).Count(r => !r["query"]!.ToString().Contains("watch=true")));
    }

    [Fact]
    public async Task A_throwing_handler_is_logged_and_the_informer_goes_on()
    {
        using var client = Client();
        var log = new RecordingLog();
        var informer = new Informer<ConfigMapView>(client.ListWatch(KubeResources.ConfigMaps, "kube-system", KubeSelector.Everything),
            (e, _) => e.Kind == InformerEventKind.Added && e.Object!.Name == "bad" ? throw new InvalidOperationException("boom") : Task.CompletedTask,
            log, QuickInformer);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(Budget());
        await _sim.WaitForWatchesAsync(1, "configmaps");

        await ConfigMapAsync("bad", "{}");
        await ConfigMapAsync("good", "{}");
        Wait.Until(() => informer.Get("kube-system", "good") is not null, TimeSpan.FromSeconds(10), "the event after the failing one");
        await stop.CancelAsync();
        await running;

        Assert.True(log.Contains("informer handler failed", LogLevel.Error));
        Assert.NotNull(informer.Get("kube-system", "bad"));
    }
}

using EipCni.Node;
using EipCni.Tests.Eip.Engine;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>
/// The agent's long-running node work together (what <c>eip-cni-agent run</c> keeps going): node GC passes composed
/// afresh from the config of the moment, the log tail feeding the metrics, /metrics and /healthz.
/// </summary>
public sealed class NodeWorkTests : IDisposable
{
    private readonly NodeWorld _w = new();
    private readonly TempDir _dir = new("eipcni-work");
    private readonly string _pluginConfig;
    private readonly string _eniConf;

    public NodeWorkTests()
    {
        _pluginConfig = _dir.File("plugin.json");
        _eniConf = _dir.File("eni.json");
        WritePluginConfig(clusterId: EngineWorld.Cluster);
    }

    public void Dispose()
    {
        _w.Kube.OnList = null;
        _w.Dispose();
        _dir.Dispose();
    }

    private void WritePluginConfig(string? clusterId) => File.WriteAllText(_pluginConfig, new System.Text.Json.Nodes.JsonObject
    {
        ["stateDir"] = _w.Engine.StateDir,
        ["eniConfPath"] = _eniConf,
        ["clusterId"] = clusterId,
    }.ToJsonString());

    /// <summary>As run composes it: the plugin config and eni_conf read for every pass, over the test's fake cloud and API server.</summary>
    private NodeWork Work(TimeSpan gcInterval, string logFile) => new(
        () => new NodeComposition(AgentConfig.FromPluginConfig(_pluginConfig, EngineWorld.Node), _w.Services, _w.Engine.Log, _w.Metrics),
        _w.Metrics,
        new NodeWorkOptions
        {
            StateDir = _w.Engine.StateDir,
            LogFile = logFile,
            MetricsAddress = MetricsServer.ParseAddress("127.0.0.1:0"),
            LogPoll = TimeSpan.FromMilliseconds(20),
            GcInterval = gcInterval,
        },
        TimeProvider.System, _w.Engine.Log);

    private static async Task<HttpClient> Started(NodeWork work)
    {
        for (var i = 0; i < 500 && work.MetricsAddress is null; i++) await Task.Delay(10);
        return new HttpClient { BaseAddress = new Uri($"http://{work.MetricsAddress ?? throw new TimeoutException("the metrics server did not start")}") };
    }

    private static async Task<string> MetricsUntil(HttpClient http, string wanted)
    {
        var metrics = "";
        for (var i = 0; i < 250 && !metrics.Contains(wanted, StringComparison.Ordinal); i++)
        {
            await Task.Delay(20);
            metrics = await http.GetStringAsync("/metrics");
        }
        return metrics;
    }

    [Fact]
    public async Task Runs_until_stopped_and_shows_the_plugins_calls_and_the_node_gc_on_metrics()
    {
        var logFile = _dir.File("eip-cni.log");
        var work = Work(TimeSpan.FromHours(1), logFile);
        using var stop = new CancellationTokenSource();

        var running = work.RunAsync(stop.Token);
        using var http = await Started(work);
        new JsonLineLog(logFile, LogLevel.Info, "c0ffee").Write(LogLevel.Info, "done", ("command", "ADD"), ("ms", TimeSpan.FromMilliseconds(1100)), ("summary", "bound eip-1"));
        var metrics = await MetricsUntil(http, "eipcni_cni_calls_total{command=\"ADD\",code=\"0\"} 1");

        Assert.Contains("eipcni_cni_calls_total{command=\"ADD\",code=\"0\"} 1\n", metrics);
        Assert.Contains("eipcni_cni_add_duration_seconds_bucket{work=\"eip\",le=\"2\"} 1\n", metrics);
        Assert.Contains("eipcni_node_gc_passes_total{api=\"not_needed\"} 1\n", metrics);
        Assert.Contains("eipcni_journal_records{phase=\"Bound\"} 0\n", metrics);
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        Assert.Null(work.Unhealthy());

        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(running.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync("/healthz")); // the server stopped with the work
    }

    [Fact]
    public async Task A_node_gc_pass_that_never_finishes_makes_healthz_fail_until_passes_finish_again()
    {
        await _w.AddAsync("c-stuck", "web-1", "10.0.1.8"); // a record to judge: the pass lists the node's pods
        using var gate = new ManualResetEventSlim(false);
        _w.Kube.OnList = () => gate.Wait(TimeSpan.FromSeconds(30)); // the API server answers the list only when let go
        var work = Work(TimeSpan.FromSeconds(1), _dir.File("eip-cni.log")); // unhealthy after 3 s without a finished pass
        using var stop = new CancellationTokenSource();
        var running = work.RunAsync(stop.Token);
        using var http = await Started(work);

        WaitFor(() => work.Unhealthy() is not null, "the stuck pass to make the agent unhealthy");
        var probe = await http.GetAsync("/healthz");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, probe.StatusCode); // the kubelet's liveness probe restarts it
        Assert.StartsWith("node gc: no pass finished for ", await probe.Content.ReadAsStringAsync());

        gate.Set();
        WaitFor(() => work.Unhealthy() is null, "the agent to be healthy once passes finish again");
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_config_without_cluster_id_is_a_failed_pass_and_the_eni_conf_written_later_is_picked_up_without_a_restart()
    {
        // At start the eni_conf sync has not written eni_conf yet and the plugin config names no cluster.
        WritePluginConfig(clusterId: null);
        await _w.AddAsync("c-gone", "web-2", "10.0.1.9");
        _w.Kube.RemovePod(EngineWorld.Ns, "web-2"); // its pod is gone: the node GC gives its EIP back once it can run
        var work = Work(TimeSpan.FromSeconds(2), _dir.File("eip-cni.log"));
        using var stop = new CancellationTokenSource();
        var running = work.RunAsync(stop.Token);
        using var http = await Started(work);

        WaitFor(() => _w.Engine.Log.Contains("node gc pass failed", LogLevel.Warn), "a pass to fail on the missing clusterId");
        Assert.Contains("clusterId is not configured", _w.Engine.Log.ToString());
        Assert.NotNull(_w.Record("c-gone"));
        Assert.Null(work.Unhealthy()); // a config problem is not a stuck loop: restarting the agent would not help

        File.WriteAllText(_eniConf, """{"enable_eip_pool":"true","cluster_id":"c1"}""");
        WaitFor(() => _w.Record("c-gone") is null, "the next pass to give the gone pod's EIP back");
        var metrics = await MetricsUntil(http, "eipcni_node_gc_passes_total{api=\"reachable\"}");
        Assert.Contains("eipcni_node_gc_passes_total{api=\"reachable\"}", metrics);
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static void WaitFor(Func<bool> condition, string what) => Wait.Until(condition, TimeSpan.FromSeconds(10), what);
}

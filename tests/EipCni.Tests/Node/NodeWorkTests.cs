using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>The agent's long-running node work together: node GC, the log tail feeding the metrics, /metrics and /healthz.</summary>
public sealed class NodeWorkTests
{
    [Fact]
    public async Task Runs_until_stopped_and_shows_the_plugins_calls_and_the_node_gc_on_metrics()
    {
        using var w = new NodeWorld();
        using var dir = new TempDir("eipcni-work");
        var logFile = dir.File("eip-cni.log");
        w.Engine.Time.AutoAdvance = false; // the node GC's interval never ends on the fake clock: one pass
        var sweep = new ClusterSweep(new ClusterSweepOptions { ClusterId = "c1" }, w.Services, w.Engine.Log, w.Metrics);
        var work = new NodeWork(w.NodeGc(), sweep, w.Metrics, w.Engine.StateDir, logFile,
            new NodeWorkOptions { MetricsAddress = MetricsServer.ParseAddress("127.0.0.1:0"), LogPoll = TimeSpan.FromMilliseconds(20) },
            TimeProvider.System, w.Engine.Log);
        using var stop = new CancellationTokenSource();

        var running = work.RunAsync(stop.Token);
        while (work.MetricsAddress is null) await Task.Delay(10);
        new JsonLineLog(logFile, LogLevel.Info, "c0ffee").Write(LogLevel.Info, "done", ("command", "ADD"), ("ms", TimeSpan.FromMilliseconds(1100)), ("summary", "bound eip-1"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://{work.MetricsAddress}") };
        var metrics = "";
        for (var i = 0; i < 200 && !metrics.Contains("eipcni_cni_calls_total{command=\"ADD\",code=\"0\"} 1"); i++)
        {
            await Task.Delay(20);
            metrics = await http.GetStringAsync("/metrics");
        }

        Assert.Contains("eipcni_cni_calls_total{command=\"ADD\",code=\"0\"} 1\n", metrics);
        Assert.Contains("eipcni_cni_add_duration_seconds_bucket{work=\"eip\",le=\"2\"} 1\n", metrics);
        Assert.Contains("eipcni_node_gc_passes_total{api=\"not_needed\"} 1\n", metrics);
        Assert.Contains("eipcni_journal_records{phase=\"Bound\"} 0\n", metrics);
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        Assert.Null(work.Unhealthy());

        // A node GC loop that stopped finishing passes makes the agent unhealthy (the kubelet's probe restarts it).
        w.Engine.Time.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal("node gc: no pass finished for 16 minutes (every 5 minutes expected)", work.Unhealthy());
        var probe = await http.GetAsync("/healthz");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, probe.StatusCode);

        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(running.IsCompletedSuccessfully);
    }
}

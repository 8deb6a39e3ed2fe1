using EipCni.Cni;

namespace EipCni.Node;

/// <summary>
/// What <c>eip-cni-agent run</c> keeps going on every node besides install and upkeep: the node GC every few minutes,
/// the plugin's log followed and the journal counted for the metrics, and <c>/metrics</c> and <c>/healthz</c>. The
/// cluster sweep runs where the leader election says: <see cref="LeadAsync"/> is its leader callback.
/// </summary>
public sealed class NodeWork
{
    private readonly NodeGc _gc;
    private readonly ClusterSweep _sweep;
    private readonly NodeMetrics _metrics;
    private readonly NodeWorkOptions _options;
    private readonly string _logFile;
    private readonly TimeProvider _time;
    private readonly ILog _log;
    private DateTimeOffset _started;

    public NodeWork(NodeGc gc, ClusterSweep sweep, NodeMetrics metrics, string stateDir, string logFile, NodeWorkOptions options, TimeProvider time, ILog log)
    {
        _gc = gc;
        _sweep = sweep;
        _metrics = metrics;
        _options = options;
        _logFile = logFile;
        _time = time;
        _log = log;
        new JournalCensus(stateDir, metrics, time).Register();
    }

    /// <summary>The node work of a composed agent (its metrics must be the composition's, so cloud errors are counted).</summary>
    public static NodeWork Create(NodeComposition node, NodeWorkOptions options, Func<ClusterSweepOptions, ClusterSweepOptions>? sweep = null)
    {
        var metrics = node.Metrics ?? throw new ArgumentException("the composition has no metrics to expose", nameof(node));
        return new NodeWork(node.NodeGc(options.GcInterval), node.ClusterSweep(sweep), metrics, node.Config.Plugin.StateDir,
            node.Config.Plugin.LogFile, options, node.Services.Time, node.Log);
    }

    /// <summary>Where /metrics and /healthz answer, once <see cref="RunAsync"/> has started them.</summary>
    public System.Net.IPEndPoint? MetricsAddress { get; private set; }

    /// <summary>The leader election's callback: sweeps the cluster until <paramref name="leadership"/> ends.</summary>
    public Task LeadAsync(CancellationToken leadership) => _sweep.LeadAsync(leadership);

    /// <summary>Runs the node GC, the log tail and the metrics server until <paramref name="ct"/> ends.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _started = _time.GetUtcNow();
        await using var server = new MetricsServer(_options.MetricsAddress, _metrics.Registry, Unhealthy, _log);
        server.Start();
        MetricsAddress = server.Address;
        _log.Write(LogLevel.Info, "agent: metrics and health", ("address", server.Address.ToString()));
        using var tail = new CniLogTail(_logFile, _metrics.CniCall, reason => _metrics.LogLinesSkipped.Inc(reason));
        await Task.WhenAll(_gc.RunAsync(ct), tail.RunAsync(_options.LogPoll, _time, ct)).ConfigureAwait(false);
    }

    /// <summary>
    /// Why the agent is not healthy, or null: the node GC has not finished a pass for three intervals (a pass is at
    /// most a few minutes), so the loop is stuck and a restart is the remedy.
    /// </summary>
    public string? Unhealthy()
    {
        var overdue = _gc.SinceLastPass ?? _time.GetUtcNow() - _started;
        return overdue > 3 * _options.GcInterval
            ? $"node gc: no pass finished for {overdue.TotalMinutes:0} minutes (every {_options.GcInterval.TotalMinutes:0} minutes expected)"
            : null;
    }
}

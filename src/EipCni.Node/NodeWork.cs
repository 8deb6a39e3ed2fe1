using EipCni.Cni;

namespace EipCni.Node;

/// <summary>
/// What <c>eip-cni-agent run</c> keeps going on every node besides install and upkeep: a node GC pass every interval,
/// the plugin's log followed and the journal counted for the metrics, and <c>/metrics</c> and <c>/healthz</c>. The
/// cluster sweep runs where the leader election says: <see cref="LeadAsync"/> is its leader callback.
/// </summary>
/// <remarks>
/// The cloud and engine services are composed afresh (<c>compose</c>) for every node GC pass and every leadership,
/// from the plugin config and the eni_conf of the moment: the eni_conf the agent's own sync writes after start, and
/// an AccessKey rotated in it, are picked up without a restart. A config that cannot be composed is a logged, failed
/// pass, never a dead loop.
/// </remarks>
public sealed class NodeWork
{
    private readonly Func<NodeComposition> _compose;
    private readonly NodeMetrics _metrics;
    private readonly NodeWorkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILog _log;
    private DateTimeOffset _started;
    private DateTimeOffset? _lastPass;

    public NodeWork(Func<NodeComposition> compose, NodeMetrics metrics, NodeWorkOptions options, TimeProvider time, ILog log)
    {
        _compose = compose;
        _metrics = metrics;
        _options = options;
        _time = time;
        _log = log;
        _started = time.GetUtcNow();
        new JournalCensus(options.StateDir, metrics, time).Register();
    }

    /// <summary>Where /metrics and /healthz answer, once <see cref="RunAsync"/> has started them.</summary>
    public System.Net.IPEndPoint? MetricsAddress { get; private set; }

    /// <summary>Runs the node GC, the log tail and the metrics server until <paramref name="ct"/> ends.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _started = _time.GetUtcNow();
        MetricsServer? server = null;
        if (_options.MetricsAddress is { } address)
        {
            server = new MetricsServer(address, _metrics.Registry, Unhealthy, _log);
            server.Start();
            MetricsAddress = server.Address;
            _log.Write(LogLevel.Info, "serving /metrics and /healthz", ("address", server.Address.ToString()));
        }
        try
        {
            using var tail = new CniLogTail(_options.LogFile, _metrics.CniCall, reason => _metrics.LogLinesSkipped.Inc(reason));
            await Task.WhenAll(GcLoopAsync(ct), tail.RunAsync(_options.LogPoll, _time, ct)).ConfigureAwait(false);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A node GC pass every interval, through the journal's locks (see <see cref="NodeGc"/>).</summary>
    private async Task GcLoopAsync(CancellationToken ct)
    {
        await Task.Yield(); // never a first pass on the caller's thread: RunAsync returns to start the other loops
        if (!await Pause.ForAsync(_options.FirstGcAfter, _time, ct).ConfigureAwait(false)) return;
        while (true)
        {
            try
            {
                using var node = _compose();
                await node.NodeGc().RunOnceAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // An unusable config (no clusterId yet, a bad eni_conf), an unsafe state dir, a bug: the loop outlives
                // it and the next pass starts afresh. The pass still counts as finished for health: a restart would not help.
                _log.Write(e is CniException or IOException ? LogLevel.Warn : LogLevel.Error, "node gc pass failed; the next pass tries again",
                    ("error", e.Message), ("type", e.GetType().Name));
            }
            _lastPass = _time.GetUtcNow();
            if (!await Pause.ForAsync(_options.GcInterval, _time, ct).ConfigureAwait(false)) return;
        }
    }

    /// <summary>The leader election's callback: sweeps the cluster until <paramref name="leadership"/> ends.</summary>
    public async Task LeadAsync(CancellationToken leadership)
    {
        while (!leadership.IsCancellationRequested)
        {
            NodeComposition node;
            try
            {
                node = _compose();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.Write(LogLevel.Warn, "leading the cluster sweep, but its config is unusable; composing it again later",
                    ("error", e.Message), ("retryIn", _options.RecomposeAfter.ToString()));
                if (!await Pause.ForAsync(_options.RecomposeAfter, _time, leadership).ConfigureAwait(false)) return;
                continue;
            }
            using (node)
                await node.ClusterSweep(o => _options.SweepGrace is { } grace ? o with { Grace = grace } : o).LeadAsync(leadership).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>
    /// Why the agent is not healthy, or null: the node GC has not finished a pass for three intervals (a pass is at
    /// most a few minutes), so the loop is stuck and a restart is the remedy.
    /// </summary>
    public string? Unhealthy()
    {
        var overdue = _time.GetUtcNow() - (_lastPass ?? _started + _options.FirstGcAfter);
        return overdue > 3 * _options.GcInterval
            ? $"node gc: no pass finished for {Human(overdue)} (every {Human(_options.GcInterval)} expected)"
            : null;
    }

    private static string Human(TimeSpan t) => t >= TimeSpan.FromMinutes(1)
        ? $"{t.TotalMinutes.ToString("0", System.Globalization.CultureInfo.InvariantCulture)} minutes"
        : $"{t.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s";
}

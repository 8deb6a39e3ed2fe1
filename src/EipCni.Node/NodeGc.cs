using EipCni.Cni;
using EipCni.Eip;
using EipCni.Kube;
using EipCni.State;

namespace EipCni.Node;

/// <summary>
/// Finishes this node's leftovers, which containerd 1.6 and 1.7 never will (they never call CNI GC): records whose pod
/// no longer exists on this node, pending releases, kept EIPs whose time is over, allocations in doubt. Each network's
/// journal goes through the CNI GC verb's own pass (<see cref="EipEngine.CollectGarbageAsync"/>: the attachment lock,
/// the record judged again under it, the settle path), so a concurrent DEL or ADD never races it.
/// </summary>
/// <remarks>
/// A record is stale only when it was in the journal <em>before</em> the pods were listed and its pod is not among them:
/// a pod is bound to the node before its sandbox's ADD writes a record, so a record read first has its pod in any later
/// list while the pod exists. When the API server cannot be asked, nothing is judged stale: "unreachable" never means
/// "gone", and only what the journal itself shows pending is done.
/// </remarks>
public sealed class NodeGc
{
    private readonly NodeGcOptions _options;
    private readonly EipServices _services;
    private readonly ILog _log;
    private readonly NodeMetrics? _metrics;

    public NodeGc(NodeGcOptions options, EipServices services, ILog log, NodeMetrics? metrics = null)
    {
        _options = options;
        _services = services;
        _log = log;
        _metrics = metrics;
    }

    public async Task<NodeGcReport> RunOnceAsync(CancellationToken ct)
    {
        using var pass = CancellationTokenSource.CreateLinkedTokenSource(ct);
        pass.CancelAfter(_options.PassBudget);
        // The journal first, the pods second (see remarks).
        var snapshot = new Dictionary<string, HashSet<AttachmentKey>>(StringComparer.Ordinal);
        var judgeable = false;
        foreach (var network in Journal.Networks(_options.StateDir))
        {
            var records = new Journal(_options.StateDir, network, _log).List();
            snapshot[network] = records.Select(r => r.Key).ToHashSet();
            judgeable |= records.Any(r => r.Phase is not (AttachmentPhase.Releasing or AttachmentPhase.Retained));
        }

        LivePods? live = null;
        string? apiError = null;
        if (judgeable) (live, apiError) = await ListPodsAsync(pass.Token).ConfigureAwait(false);

        var engine = new EipEngine(_services);
        var reports = new List<(string, GcReport)>();
        foreach (var (network, keys) in snapshot)
        {
            var call = new EngineCall
            {
                Key = new AttachmentKey(network, "node-gc", "none"),
                StateDir = _options.StateDir,
                ClusterId = _options.ClusterId,
                Log = _log,
            };
            Func<AttachmentRecord, bool>? isStale = live is null ? null : r => keys.Contains(r.Key) && !live.Holds(r);
            reports.Add((network, await engine.CollectGarbageAsync(call, isStale, pass.Token).ConfigureAwait(false)));
        }
        var report = new NodeGcReport(live is not null, apiError, reports);
        Count(report, judgeable);
        foreach (var failure in report.Failures)
            _log.Write(LogLevel.Warn, "node gc: not finished; the next pass tries again", ("record", failure.Key.ToString()), ("why", failure.ToString()));
        if (report.GivenBack > 0 || report.Failures.Any() || apiError is not null)
            _log.Write(apiError is null ? LogLevel.Info : LogLevel.Warn, report.ToString());
        return report;
    }

    private async Task<(LivePods?, string?)> ListPodsAsync(CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.ListBudget);
        try
        {
            var pods = await _services.Kube.ListPodsAsync(_options.NodeName, budget.Token).ConfigureAwait(false);
            return (new LivePods(pods), null);
        }
        catch (Exception e) when (e is KubeException or KubeconfigException or CniException or IOException
                                      || e is OperationCanceledException && !ct.IsCancellationRequested)
        {
            _log.Write(LogLevel.Warn, "node gc: cannot list this node's pods; only pending work is done", ("error", e.Message));
            return (null, e is OperationCanceledException ? "no answer in time" : e.Message);
        }
    }

    private void Count(NodeGcReport report, bool judgeable)
    {
        if (_metrics is null) return;
        _metrics.NodeGcPasses.Inc(!judgeable ? "not_needed" : report.PodsListed ? "reachable" : "unreachable");
        var failures = report.Failures.Count();
        if (report.GivenBack > 0) _metrics.NodeGcRecords.Add(report.GivenBack, "given_back");
        if (report.Pending > 0) _metrics.NodeGcRecords.Add(report.Pending, "pending");
        if (failures > report.Pending) _metrics.NodeGcRecords.Add(failures - report.Pending, "failed");
    }
}

using EipCni.Cloud;

namespace EipCni.Node;

/// <summary>
/// What the agent exposes on <c>/metrics</c>, by name: the plugin's calls (from its JSON log lines), the node's
/// journal, the node GC, the cluster sweep, and the cloud's errors and throttles as the agent met them.
/// </summary>
public sealed class NodeMetrics
{
    /// <summary>ADD latency buckets, seconds: a pass-through ADD is ~10 ms, an EIP ADD about a second, the budget 90 s.</summary>
    public static readonly double[] AddBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

    public NodeMetrics()
    {
        var r = Registry;
        CniCalls = r.Counter("eipcni_cni_calls_total",
            "CNI calls of the plugin on this node by command and CNI result code (0 = success), read from its log.", "command", "code");
        AddSeconds = r.Histogram("eipcni_cni_add_duration_seconds",
            "Time of each CNI ADD on this node; work=eip for ADDs with EIP work, none for pods that do not ask or a feature that is off.", AddBuckets, "work");
        LogLinesSkipped = r.Counter("eipcni_log_lines_skipped_total",
            "Lines of the plugin's log the agent could not read (too_long, not_json).", "reason");
        JournalRecords = r.Gauge("eipcni_journal_records",
            "Journal records (attachments with an EIP) on this node by phase.", "phase");
        PendingRecords = r.Gauge("eipcni_journal_pending_records",
            "Records only a later pass can finish: in_doubt (an allocation whose outcome is unknown), release (an unbound EIP still to release), unbind (an unbind the cloud has not confirmed; its DEL is held), kept_expired (a kept EIP whose time is over).", "kind");
        PendingOldestSeconds = r.Gauge("eipcni_journal_pending_oldest_age_seconds",
            "Age of the oldest pending record of each kind (since its last update).", "kind");
        NodeGcPasses = r.Counter("eipcni_node_gc_passes_total",
            "Node GC passes; api=unreachable when the API server could not say which pods live here (then only pending work is done).", "api");
        NodeGcRecords = r.Counter("eipcni_node_gc_records_total",
            "Records the node GC finished (given_back) or could not finish yet (pending, failed).", "outcome");
        SweepPasses = r.Counter("eipcni_sweep_passes_total",
            "Cluster sweep passes by outcome (ok, failed, api_unreachable).", "outcome");
        SweepReleases = r.Counter("eipcni_sweep_releases_total",
            "EIPs the cluster sweep released, by reason (pod_gone, kept_expired, node_gone).", "reason");
        SweepKept = r.Counter("eipcni_sweep_kept_total",
            "EIPs of crashed nodes the cluster sweep unbound and kept for their pod identity (release strategy Never or a TTL).");
        SweepFailures = r.Counter("eipcni_sweep_failures_total",
            "EIPs the cluster sweep meant to give back but could not in that pass.");
        CloudErrors = r.Counter("eipcni_cloud_errors_total",
            "Failed cloud call attempts of the agent (GC and sweep), by API action and error code.", "action", "code");
        CloudThrottles = r.Counter("eipcni_cloud_throttles_total",
            "Cloud call attempts of the agent refused by flow control (Throttling*), by API action.", "action");
    }

    public MetricsRegistry Registry { get; } = new();

    public Counter CniCalls { get; }
    public Histogram AddSeconds { get; }
    public Counter LogLinesSkipped { get; }
    public Gauge JournalRecords { get; }
    public Gauge PendingRecords { get; }
    public Gauge PendingOldestSeconds { get; }
    public Counter NodeGcPasses { get; }
    public Counter NodeGcRecords { get; }
    public Counter SweepPasses { get; }
    public Counter SweepReleases { get; }
    public Counter SweepKept { get; }
    public Counter SweepFailures { get; }
    public Counter CloudErrors { get; }
    public Counter CloudThrottles { get; }

    /// <summary>One failed cloud attempt (the cloud client reports each, retried or not).</summary>
    public void CloudAttemptFailed(CloudException e)
    {
        CloudErrors.Inc(e.Action, e.Code);
        if (e.IsThrottling) CloudThrottles.Inc(e.Action);
    }

    /// <summary>One outcome line of the plugin's log.</summary>
    public void CniCall(CniLogLine line)
    {
        CniCalls.Inc(line.Command, line.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (line.Command == "ADD" && line.Milliseconds is { } ms)
            AddSeconds.Observe(ms / 1000, line.EipWork ? "eip" : "none");
    }
}

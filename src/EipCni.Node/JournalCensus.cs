using EipCni.State;

namespace EipCni.Node;

/// <summary>
/// The node's journal as gauges, counted afresh at every scrape: records by phase, and the records only a later pass
/// can finish, by kind, with the age of the oldest. Reading is a directory listing and a few small files per network.
/// </summary>
public sealed class JournalCensus
{
    private readonly string _stateDir;
    private readonly NodeMetrics _metrics;
    private readonly TimeProvider _time;

    public JournalCensus(string stateDir, NodeMetrics metrics, TimeProvider time)
    {
        _stateDir = stateDir;
        _metrics = metrics;
        _time = time;
    }

    /// <summary>Counts at every exposition.</summary>
    public void Register() => _metrics.Registry.OnCollect(Count);

    public void Count()
    {
        var now = _time.GetUtcNow();
        var records = new List<AttachmentRecord>();
        foreach (var network in Journal.Networks(_stateDir))
        {
            try
            {
                records.AddRange(new Journal(_stateDir, network).List());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Cni.CniException)
            {
                // An unsafe or unreadable network directory: the plugin's own STATUS reports it; the gauges skip it.
            }
        }
        _metrics.JournalRecords.Replace(Enum.GetValues<AttachmentPhase>().Select(p =>
            (new[] { p.ToString() }, (double)records.Count(r => r.Phase == p))));
        var pending = records.Select(r => (Kind: PendingKind(r, now), Since: PendingSince(r))).Where(p => p.Kind is not null).ToList();
        string[] kinds = ["in_doubt", "release", "unbind", "kept_expired"];
        _metrics.PendingRecords.Replace(kinds.Select(k => (new[] { k }, (double)pending.Count(p => p.Kind == k))));
        _metrics.PendingOldestSeconds.Replace(kinds.Select(k => (new[] { k },
            pending.Where(p => p.Kind == k).Select(p => Math.Max(0, (now - p.Since).TotalSeconds)).DefaultIfEmpty(0).Max())));
    }

    /// <summary>What a record still waits for, or null when nothing is pending.</summary>
    public static string? PendingKind(AttachmentRecord r, DateTimeOffset now) => r.Phase switch
    {
        AttachmentPhase.Retained => r.ReleaseAfter is { } t && t <= now ? "kept_expired" : null,
        AttachmentPhase.Releasing when r.AllocationId is null => r.ClientToken is null ? null : "in_doubt",
        AttachmentPhase.Releasing => r.Unbound ? "release" : "unbind",
        _ => null,
    };

    private static DateTimeOffset PendingSince(AttachmentRecord r) =>
        r.Phase == AttachmentPhase.Retained ? r.ReleaseAfter ?? r.UpdatedAt : r.ReleasingSince ?? r.UpdatedAt;
}

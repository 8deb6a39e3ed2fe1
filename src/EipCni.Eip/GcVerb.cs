using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// GC: gives back the records judged stale and finishes pending work (records being given back, kept EIPs whose time
/// is over). The CNI verb judges by the runtime's valid-attachments list; the agent's node GC by the pods the API
/// server shows on the node. Both go through <see cref="CollectAsync"/>.
/// </summary>
internal sealed class GcVerb
{
    private readonly EngineCore _core;

    public GcVerb(EngineCore core) => _core = core;

    private EipServices Svc => _core.Svc;
    private Journal Journal => _core.Journal;
    private ILog Log => _core.Log;
    private EngineCall Call => _core.Call;

    /// <summary>CNI GC: with a list, records not in it are stale; without one, only pending work is done.</summary>
    public async Task<string> RunAsync(CancellationToken ct)
    {
        var valid = Call.ValidAttachments;
        var report = await CollectAsync(valid is null ? null : r => !valid.Contains((r.ContainerId, r.IfName)), ct).ConfigureAwait(false);
        if (report.Failures.Count > 0)
            throw new CniException(CniCode.TryAgainLater, $"GC could not finish {report.Failures.Count} attachment(s); it will retry",
                string.Join("; ", report.Failures.Select(f => f.ToString())));
        return report.Examined == 0 ? "nothing recorded" : $"gc: {report.GivenBack} given back";
    }

    /// <summary>What GC does with a record.</summary>
    private enum Due { Nothing, Settle, ReleaseKept }

    /// <summary>
    /// Settles every record <paramref name="isStale"/> says is stale (null: none is), every record already being given
    /// back, and releases kept EIPs whose time is over. A kept EIP whose time is not over stays, stale or not. Each
    /// record is judged again after its attachment lock is taken: a DEL or ADD that held it may have changed it.
    /// </summary>
    public async Task<GcReport> CollectAsync(Func<AttachmentRecord, bool>? isStale, CancellationToken ct)
    {
        Journal.PruneRetired(TimeSpan.FromDays(30));
        var records = Journal.List((path, e) => Log.Write(LogLevel.Error, "unreadable journal record", ("path", path), ("error", e.Message)));
        var now = Svc.Time.GetUtcNow();
        var failures = new List<GcFailure>();
        int givenBack = 0, pending = 0;
        foreach (var rec in records)
        {
            if (ct.IsCancellationRequested) { failures.Add(new GcFailure(rec.Key, "not reached within the budget", null)); continue; }
            if (Judge(rec, now, isStale) == Due.Nothing) continue;
            // Each record gets its own slice of the budget, so one that the cloud keeps refusing cannot starve the others.
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                using var attachmentLock = await Journal.LockAttachmentAsync(rec.Key, budget.Token).ConfigureAwait(false);
                var current = Journal.Read(rec.Key);
                if (current is null) continue; // its DEL finished it meanwhile
                switch (Judge(current, now, isStale))
                {
                    case Due.ReleaseKept:
                        await _core.ReleaseRetainedAsync(current, budget.Token).ConfigureAwait(false);
                        givenBack++;
                        break;
                    case Due.Settle:
                        var settled = await _core.SettleAsync(current, budget.Token).ConfigureAwait(false);
                        if (settled.State == SettleState.Done) givenBack++;
                        else
                        {
                            pending++;
                            failures.Add(new GcFailure(rec.Key, settled.Summary, settled.Cause));
                        }
                        break;
                }
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or CniException or IOException)
            {
                failures.Add(new GcFailure(rec.Key, EngineCore.ErrorText(e), e));
            }
        }
        return new GcReport(records.Count, givenBack, pending, failures);
    }

    private static Due Judge(AttachmentRecord rec, DateTimeOffset now, Func<AttachmentRecord, bool>? isStale)
    {
        if (rec.Phase == AttachmentPhase.Retained)
            return rec.ReleaseAfter is { } t && t <= now ? Due.ReleaseKept : Due.Nothing; // kept on purpose until then
        return rec.Phase == AttachmentPhase.Releasing || isStale?.Invoke(rec) == true ? Due.Settle : Due.Nothing;
    }
}

using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>CNI GC: gives back records whose attachment is not in the valid list; with no list, finishes pending work.</summary>
internal sealed class GcVerb
{
    private readonly EngineCore _core;

    public GcVerb(EngineCore core) => _core = core;

    private EipServices Svc => _core.Svc;
    private Journal Journal => _core.Journal;
    private ILog Log => _core.Log;
    private EngineCall Call => _core.Call;

    public async Task<string> RunAsync(CancellationToken ct)
    {
        Journal.PruneRetired(TimeSpan.FromDays(30));
        var records = Journal.List((path, e) => Log.Write(LogLevel.Error, "unreadable journal record", ("path", path), ("error", e.Message)));
        if (records.Count == 0) return "nothing recorded";
        var valid = Call.ValidAttachments;
        var now = Svc.Time.GetUtcNow();
        var errors = new List<string>();
        int released = 0, pending = 0;
        foreach (var rec in records)
        {
            if (ct.IsCancellationRequested) { errors.Add($"{rec.Key}: not reached within the budget"); continue; }
            var stale = valid is not null && !valid.Contains((rec.ContainerId, rec.IfName));
            var expired = rec.Phase == AttachmentPhase.Retained && rec.ReleaseAfter is { } t && t <= now;
            if (!stale && !expired && rec.Phase != AttachmentPhase.Releasing) continue;
            if (rec.Phase == AttachmentPhase.Retained && !expired) continue; // kept on purpose (Never, or TTL not yet over)
            // Each record gets its own slice of the budget, so one that the cloud keeps refusing cannot starve the others.
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                using var attachmentLock = await Journal.LockAttachmentAsync(rec.Key, budget.Token).ConfigureAwait(false);
                var current = Journal.Read(rec.Key);
                if (current is null) continue;
                if (expired)
                {
                    await _core.ReleaseRetainedAsync(current, budget.Token).ConfigureAwait(false);
                    released++;
                    continue;
                }
                var settled = await _core.SettleAsync(current, budget.Token).ConfigureAwait(false);
                if (settled.State == SettleState.Done) released++;
                else
                {
                    pending++;
                    errors.Add($"{rec.Key}: {settled.Summary}" + (settled.Cause is null ? "" : $" ({EngineCore.ErrorText(settled.Cause)})"));
                }
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or CniException or IOException)
            {
                errors.Add($"{rec.Key}: {EngineCore.ErrorText(e)}");
            }
        }
        if (errors.Count > 0)
            throw new CniException(CniCode.TryAgainLater, $"GC could not finish {errors.Count} attachment(s); it will retry", string.Join("; ", errors));
        return $"gc: {released} given back";
    }

    /// <summary>A kept EIP whose TTL is over is released, unless a new sandbox of the pod took it over meanwhile.</summary>
}

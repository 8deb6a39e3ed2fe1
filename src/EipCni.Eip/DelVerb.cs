using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>DEL: gives back what ADD took, and succeeds only once no EIP of ours can still point at the pod's IP.</summary>
internal sealed class DelVerb
{
    private readonly EngineCore _core;

    public DelVerb(EngineCore core) => _core = core;

    private EipServices Svc => _core.Svc;
    private Journal Journal => _core.Journal;
    private ILog Log => _core.Log;
    private EngineCall Call => _core.Call;

    public async Task<string> RunAsync(CancellationToken ct)
    {
        var key = Call.Key;
        if (!Journal.Exists(key)) return "nothing recorded"; // pods without an EIP: one stat, no lock, no network
        using var attachmentLock = await _core.LockAsync(key, ct).ConfigureAwait(false);
        AttachmentRecord? rec;
        try
        {
            rec = Journal.Read(key);
        }
        catch (InvalidDataException e)
        {
            // DEL must not wedge the pod in Terminating; the cloud-side tags still let the agent's sweep find the EIP.
            Log.Write(LogLevel.Error, "corrupt journal record ignored by DEL", ("error", e.Message));
            return "corrupt record";
        }
        if (rec is null) return "nothing recorded";
        if (rec.Phase == AttachmentPhase.Retained) return $"kept {rec.AllocationId} for the pod identity";
        var settled = await _core.SettleAsync(rec, ct).ConfigureAwait(false);
        if (settled.State == SettleState.StillBound)
        {
            // The runtime hands the IP to the next pod the moment DEL succeeds: not while our EIP may still point at it.
            await PostHeldEventOnceAsync(key, settled).ConfigureAwait(false);
            throw new CniException(CniCode.TryAgainLater,
                $"{settled.Summary}; DEL will succeed once the cloud confirms the unbind",
                settled.Cause is null ? null : EngineCore.ErrorText(settled.Cause), settled.Cause);
        }
        attachmentLock.Dispose();
        var summary = settled.Summary;
        if (settled.State == SettleState.Done)
            summary += await SweepLeftoversAsync(key, ct).ConfigureAwait(false);
        return summary;
    }

    /// <summary>One Warning event per record while DEL is held (not one per retry): which EIP, which IP, and the cloud's answer.</summary>
    private async Task PostHeldEventOnceAsync(AttachmentKey key, Settlement settled)
    {
        var rec = Journal.Read(key);
        if (rec is null || rec.HeldEventPosted) return;
        var cause = settled.Cause switch
        {
            { } e => EngineCore.ErrorText(e),
            null => "no answer",
        };
        var message = $"EIP {rec.EipAddress} ({rec.AllocationId}) may still be bound to {rec.NetworkInterfaceId} {rec.PrivateIp}: {cause}; " +
            "pod deletion waits until the cloud confirms the unbind, so the IP is not handed to another pod meanwhile";
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _core.PostEventAsync(Kube.PodEventType.Warning, "EipUnbindPending", message, deadline.Token).ConfigureAwait(false);
        Journal.Write(rec with { HeldEventPosted = true });
    }

    /// <summary>A record only a later pass can finish: an unbound EIP whose release is due, an allocation in doubt, or a kept EIP whose time is over.</summary>
    private static bool IsLeftover(AttachmentRecord r, DateTimeOffset now) =>
        (r.Phase == AttachmentPhase.Releasing && (r.Unbound || (r.AllocationId is null && r.AssociateToken is null)))
        || (r.Phase == AttachmentPhase.Retained && r.ReleaseAfter is { } t && t <= now);

    /// <summary>
    /// containerd never calls CNI GC, and the agent may not run: a DEL that found the cloud answering also finishes up
    /// to a few other attachments' leftovers. Each is independent: it gets its own small budget and, when it fails, its
    /// own backoff, so no record can hold up another or the DEL. It only takes attachments nobody holds, never fails
    /// the DEL, and never touches a record whose unbind is unconfirmed (that record's own DEL owns its IP).
    /// </summary>
    private async Task<string> SweepLeftoversAsync(AttachmentKey self, CancellationToken ct)
    {
        const int MaxPerCall = 3;
        var perRecord = TimeSpan.FromSeconds(3);
        var now = Svc.Time.GetUtcNow();
        IReadOnlyList<AttachmentRecord> due;
        try
        {
            due = Journal.List()
                .Where(r => r.Key != self && IsLeftover(r, now) && (r.NextAttemptAt is null || r.NextAttemptAt <= now))
                .OrderBy(r => r.NextAttemptAt ?? r.UpdatedAt)
                .Take(MaxPerCall)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            Log.Write(LogLevel.Warn, "cannot list leftovers", ("error", e.Message));
            return "";
        }
        int done = 0, deferred = 0;
        foreach (var rec in due)
        {
            if (ct.IsCancellationRequested) break;
            using var held = Journal.TryLockAttachment(rec.Key);
            if (held is null) continue; // busy: its owner is working on it
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(perRecord);
            try
            {
                if (Journal.Read(rec.Key) is not { } current || !IsLeftover(current, now)) continue; // finished meanwhile
                if (current.Phase == AttachmentPhase.Retained)
                {
                    await _core.ReleaseRetainedAsync(current, budget.Token).ConfigureAwait(false);
                    done++;
                }
                else if ((await _core.SettleAsync(current, budget.Token).ConfigureAwait(false)).State == SettleState.Done) done++;
                else deferred++;
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or IOException or InvalidDataException)
            {
                deferred++;
                Log.Write(LogLevel.Warn, "leftover not finished; it has its own backoff", ("record", rec.Key.FileStem), ("error", EngineCore.ErrorText(e)));
                try
                {
                    if (Journal.Read(rec.Key) is { } again) _core.Defer(again, e);
                }
                catch (Exception inner) when (inner is IOException or InvalidDataException)
                {
                    Log.Write(LogLevel.Warn, "cannot record the leftover's backoff", ("error", inner.Message));
                }
            }
        }
        return (done > 0 ? $"; finished {done} leftover(s)" : "") + (deferred > 0 ? $"; {deferred} leftover(s) deferred" : "");
    }
}

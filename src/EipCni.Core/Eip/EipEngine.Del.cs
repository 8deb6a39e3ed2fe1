using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

public sealed partial class EipEngine
{
    public async Task<string> DelAsync(AttachmentContext ctx, CancellationToken ct)
    {
        var key = KeyOf(ctx);
        var journal = JournalOf(ctx);
        if (!journal.Exists(key)) return "nothing recorded"; // pods without an EIP: one stat, no lock, no network
        using var attachmentLock = await LockAsync(journal, key, ct).ConfigureAwait(false);
        AttachmentRecord? rec;
        try
        {
            rec = journal.Read(key);
        }
        catch (InvalidDataException e)
        {
            // DEL must not wedge the pod in Terminating; the cloud-side tags still let the agent's sweep find the EIP.
            ctx.Log.Write(LogLevel.Error, "corrupt journal record ignored by DEL", ("error", e.Message));
            return "corrupt record";
        }
        if (rec is null) return "nothing recorded";
        if (rec.Phase == AttachmentPhase.Retained) return $"kept {rec.AllocationId} for the pod identity";
        var settled = await SettleAsync(ctx, journal, rec, ct).ConfigureAwait(false);
        if (settled.State == SettleState.StillBound)
        {
            // The runtime hands the IP to the next pod the moment DEL succeeds: not while our EIP may still point at it.
            await PostHeldEventOnceAsync(ctx, journal, key, settled).ConfigureAwait(false);
            throw new CniException(CniCode.TryAgainLater,
                $"{settled.Summary}; DEL will succeed once the cloud confirms the unbind",
                settled.Cause is null ? null : ErrorText(settled.Cause), settled.Cause);
        }
        attachmentLock.Dispose();
        var summary = settled.Summary;
        if (settled.State == SettleState.Done)
            summary += await SweepLeftoversAsync(ctx, journal, key, ct).ConfigureAwait(false);
        return summary;
    }

    /// <summary>One Warning event per record while DEL is held (not one per retry): which EIP, which IP, and the cloud's answer.</summary>
    private async Task PostHeldEventOnceAsync(AttachmentContext ctx, Journal journal, AttachmentKey key, Settlement settled)
    {
        var rec = journal.Read(key);
        if (rec is null || rec.HeldEventPosted) return;
        var cause = settled.Cause switch
        {
            { } e => ErrorText(e),
            null => "no answer",
        };
        var message = $"EIP {rec.EipAddress} ({rec.AllocationId}) may still be bound to {rec.NetworkInterfaceId} {rec.PrivateIp}: {cause}; " +
            "pod deletion waits until the cloud confirms the unbind, so the IP is not handed to another pod meanwhile";
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await PostEventAsync(ctx, Kube.PodEventType.Warning, "EipUnbindPending", message, deadline.Token).ConfigureAwait(false);
        journal.Write(rec with { HeldEventPosted = true });
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
    private async Task<string> SweepLeftoversAsync(AttachmentContext ctx, Journal journal, AttachmentKey self, CancellationToken ct)
    {
        const int MaxPerCall = 3;
        var perRecord = TimeSpan.FromSeconds(3);
        var now = _svc.Time.GetUtcNow();
        IReadOnlyList<AttachmentRecord> due;
        try
        {
            due = journal.List()
                .Where(r => r.Key != self && IsLeftover(r, now) && (r.NextAttemptAt is null || r.NextAttemptAt <= now))
                .OrderBy(r => r.NextAttemptAt ?? r.UpdatedAt)
                .Take(MaxPerCall)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            ctx.Log.Write(LogLevel.Warn, "cannot list leftovers", ("error", e.Message));
            return "";
        }
        int done = 0, deferred = 0;
        foreach (var rec in due)
        {
            if (ct.IsCancellationRequested) break;
            using var held = journal.TryLockAttachment(rec.Key);
            if (held is null) continue; // busy: its owner is working on it
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(perRecord);
            try
            {
                if (journal.Read(rec.Key) is not { } current || !IsLeftover(current, now)) continue; // finished meanwhile
                if (current.Phase == AttachmentPhase.Retained)
                {
                    await ReleaseRetainedAsync(ctx, journal, current, budget.Token).ConfigureAwait(false);
                    done++;
                }
                else if ((await SettleAsync(ctx, journal, current, budget.Token).ConfigureAwait(false)).State == SettleState.Done) done++;
                else deferred++;
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or IOException or InvalidDataException)
            {
                deferred++;
                ctx.Log.Write(LogLevel.Warn, "leftover not finished; it has its own backoff", ("record", rec.Key.FileStem), ("error", ErrorText(e)));
                try
                {
                    if (journal.Read(rec.Key) is { } again) Defer(journal, again, e);
                }
                catch (Exception inner) when (inner is IOException or InvalidDataException)
                {
                    ctx.Log.Write(LogLevel.Warn, "cannot record the leftover's backoff", ("error", inner.Message));
                }
            }
        }
        return (done > 0 ? $"; finished {done} leftover(s)" : "") + (deferred > 0 ? $"; {deferred} leftover(s) deferred" : "");
    }

    public async Task CheckAsync(AttachmentContext ctx, CancellationToken ct)
    {
        var key = KeyOf(ctx);
        var journal = JournalOf(ctx);
        var rec = journal.Read(key);
        if (rec is null)
        {
            // Feature off: ADD passed every pod through without binding, so there is nothing to check (and no network call).
            if (!ctx.EniConf.EnableEipPool) return;
            var (annotations, _) = await AnnotationsAsync(ctx, ct).ConfigureAwait(false);
            if (annotations is not null && EipAnnotationNames.WantsEip(annotations))
                throw new CniException(CniCode.BindingMismatch, "the pod asks for an EIP but eip-cni has no record of binding one",
                    $"no journal record for {key}");
            return;
        }
        if (rec.Phase != AttachmentPhase.Bound || rec.AllocationId is null)
            throw new CniException(CniCode.BindingMismatch, $"the pod's EIP is not bound (journal phase {rec.Phase})", rec.LastError);
        EipAddress? eip;
        try
        {
            eip = await DescribeAsync(rec.AllocationId, ct).ConfigureAwait(false);
        }
        catch (CloudException e)
        {
            throw CloudErrorMapping.ToCni(e, "checking the pod's EIP");
        }
        if (eip is null)
            throw new CniException(CniCode.BindingMismatch, $"the pod's EIP {rec.AllocationId} no longer exists");
        if (eip.Status != "InUse" || !IsOn(eip, rec.NetworkInterfaceId ?? "", rec.PrivateIp ?? "", rec.EniPrimaryIp))
            throw new CniException(CniCode.BindingMismatch, $"the pod's EIP {rec.AllocationId} is not bound to {rec.NetworkInterfaceId} {rec.PrivateIp}",
                $"the cloud shows {Holder(eip)}");
    }

    /// <summary>
    /// CNI GC: gives back records whose attachment is not in the valid list; with no list, keeps live records but
    /// finishes pending releases and releases kept EIPs whose time has come. Keeps going past errors and reports them.
    /// </summary>
    public async Task<string> GcAsync(AttachmentContext ctx, CancellationToken ct)
    {
        var journal = JournalOf(ctx);
        journal.PruneRetired(TimeSpan.FromDays(30));
        var records = journal.List((path, e) => ctx.Log.Write(LogLevel.Error, "unreadable journal record", ("path", path), ("error", e.Message)));
        if (records.Count == 0) return "nothing recorded";
        var valid = ctx.Conf.ValidAttachments?.Select(a => (a.ContainerId, a.IfName)).ToHashSet();
        var now = _svc.Time.GetUtcNow();
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
                using var attachmentLock = await journal.LockAttachmentAsync(rec.Key, budget.Token).ConfigureAwait(false);
                var current = journal.Read(rec.Key);
                if (current is null) continue;
                if (expired)
                {
                    await ReleaseRetainedAsync(ctx, journal, current, budget.Token).ConfigureAwait(false);
                    released++;
                    continue;
                }
                var settled = await SettleAsync(ctx, journal, current, budget.Token).ConfigureAwait(false);
                if (settled.State == SettleState.Done) released++;
                else
                {
                    pending++;
                    errors.Add($"{rec.Key}: {settled.Summary}" + (settled.Cause is null ? "" : $" ({ErrorText(settled.Cause)})"));
                }
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or CniException or IOException)
            {
                errors.Add($"{rec.Key}: {ErrorText(e)}");
            }
        }
        if (errors.Count > 0)
            throw new CniException(CniCode.TryAgainLater, $"GC could not finish {errors.Count} attachment(s); it will retry", string.Join("; ", errors));
        return $"gc: {released} given back";
    }

    /// <summary>A kept EIP whose TTL is over is released, unless a new sandbox of the pod took it over meanwhile.</summary>
    private async Task ReleaseRetainedAsync(AttachmentContext ctx, Journal journal, AttachmentRecord rec, CancellationToken ct)
    {
        var eip = rec.AllocationId is null ? null : await DescribeAsync(rec.AllocationId, ct).ConfigureAwait(false);
        if (eip is not null && eip.TagMap.GetValueOrDefault(OwnershipTags.Retained) == "true" && !IsBound(eip)
            && eip.TagMap.GetValueOrDefault(OwnershipTags.Cluster) == OwnershipTags.Value(ClusterIdOf(ctx) ?? rec.ClusterId))
        {
            await ReleaseAsync(journal, rec, ct).ConfigureAwait(false);
            ctx.Log.Write(LogLevel.Info, "released a kept EIP whose time was over", ("allocationId", rec.AllocationId));
        }
        journal.Delete(rec.Key);
    }
}

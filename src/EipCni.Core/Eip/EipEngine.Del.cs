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
        var outcome = await GiveBackOrDeferAsync(ctx, journal, rec, ct).ConfigureAwait(false);
        attachmentLock.Dispose();
        if (!outcome.StartsWith("pending", StringComparison.Ordinal))
            outcome += await SweepLeftoversAsync(ctx, journal, key, ct).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>
    /// containerd never calls CNI GC, and the agent may not run: a DEL that found the cloud answering also finishes up
    /// to a few other attachments' leftovers (pending releases, kept EIPs whose time is over), so nothing waits for a
    /// GC that may never come. It only takes attachments nobody holds, and it never fails the DEL.
    /// </summary>
    private async Task<string> SweepLeftoversAsync(AttachmentContext ctx, Journal journal, AttachmentKey self, CancellationToken ct)
    {
        const int MaxPerCall = 3;
        var now = _svc.Time.GetUtcNow();
        var done = 0;
        try
        {
            var leftovers = journal.List()
                .Where(r => r.Key != self && (r.Phase == AttachmentPhase.Releasing || (r.Phase == AttachmentPhase.Retained && r.ReleaseAfter is { } t && t <= now)))
                .Take(MaxPerCall);
            foreach (var rec in leftovers)
            {
                using var held = journal.TryLockAttachment(rec.Key);
                if (held is null || journal.Read(rec.Key) is not { } current) continue; // busy, or finished meanwhile
                if (current.Phase == AttachmentPhase.Retained) await ReleaseRetainedAsync(ctx, journal, current, ct).ConfigureAwait(false);
                else if (current.Phase == AttachmentPhase.Releasing && (await GiveBackOrDeferAsync(ctx, journal, current, ct).ConfigureAwait(false)).StartsWith("pending", StringComparison.Ordinal)) break;
                done++;
            }
        }
        catch (Exception e) when (e is CloudException or OperationCanceledException or CniException or IOException or InvalidDataException)
        {
            ctx.Log.Write(LogLevel.Warn, "leftover sweep stopped; GC will finish", ("error", e.Message));
        }
        return done > 0 ? $"; finished {done} leftover(s)" : "";
    }

    /// <summary>DEL's and GC's common path: give back, or when the cloud does not answer in time, leave the record pending.</summary>
    private async Task<string> GiveBackOrDeferAsync(AttachmentContext ctx, Journal journal, AttachmentRecord rec, CancellationToken ct)
    {
        rec = journal.Write(rec with { Phase = AttachmentPhase.Releasing });
        try
        {
            return await FinishReleaseAsync(ctx, journal, rec, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CloudException or OperationCanceledException or CniException)
        {
            // Never block pod deletion on the cloud: GC (the verb, or the agent) finishes pending records.
            journal.Write(rec with { LastError = e.Message });
            ctx.Log.Write(LogLevel.Warn, "release deferred: the cloud did not finish in time; GC will complete it",
                ("allocationId", rec.AllocationId), ("error", e.Message));
            return $"pending release of {rec.AllocationId}";
        }
    }

    /// <summary>
    /// Gives back what the record holds: unbind (only from our ENI and IP), then release an automatic EIP that
    /// follows its pod, or mark a kept one (Never/TTL) for later. Removes the record when done.
    /// </summary>
    private async Task<string> FinishReleaseAsync(AttachmentContext ctx, Journal journal, AttachmentRecord rec, CancellationToken ct)
    {
        if (rec.AllocationId is null)
        {
            // Killed between the journal write and the allocation answer: the token may have created an EIP.
            var orphan = rec.Origin == EipOrigin.Automatic ? await FindByContainerAsync(rec.ClusterId, rec.ContainerId, ct).ConfigureAwait(false) : null;
            if (orphan is null)
            {
                journal.Delete(rec.Key);
                return "nothing allocated";
            }
            rec = journal.Write(rec with { AllocationId = orphan.AllocationId, EipAddress = orphan.IpAddress });
        }
        var id = rec.AllocationId!;
        var eni = rec.NetworkInterfaceId ?? "";
        var ip = rec.PrivateIp ?? "";

        if (rec.Origin == EipOrigin.UserSpecified)
        {
            var unbound = await GuardedUnbindAsync(id, eni, ip, rec.EniPrimaryIp, waitAvailable: false, ctx.Log, ct).ConfigureAwait(false);
            journal.Delete(rec.Key);
            return unbound ? $"unbound user EIP {id}" : $"user EIP {id} is held elsewhere; left alone";
        }

        var free = await GuardedUnbindAsync(id, eni, ip, rec.EniPrimaryIp, waitAvailable: true, ctx.Log, ct).ConfigureAwait(false);
        if (!free)
        {
            journal.Delete(rec.Key);
            return $"EIP {id} is held elsewhere; left alone";
        }
        if (!ReleaseStrategy.TryParse(rec.ReleaseStrategy, out var strategy, out _)) strategy = ReleaseStrategy.Follow;
        if (strategy.Kind == ReleaseKind.Follow)
        {
            await ReleaseAsync(rec, ct).ConfigureAwait(false);
            journal.Retire(rec.Key, rec.Generation + 1);
            return $"released {id}";
        }
        var after = strategy.Kind == ReleaseKind.Ttl ? _svc.Time.GetUtcNow() + strategy.Ttl!.Value : (DateTimeOffset?)null;
        await _svc.Eip.TagResourcesAsync([id], [
            new(OwnershipTags.Retained, "true"),
            new(OwnershipTags.ReleaseAfter, after?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) ?? ""),
        ], ct).ConfigureAwait(false);
        journal.Write(rec with { Phase = AttachmentPhase.Retained, ReleaseAfter = after, LastError = null });
        return after is null ? $"kept {id} (release strategy Never)" : $"kept {id} until {after:u}";
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
            var stale = valid is not null && !valid.Contains((rec.ContainerId, rec.IfName));
            var expired = rec.Phase == AttachmentPhase.Retained && rec.ReleaseAfter is { } t && t <= now;
            if (!stale && !expired && rec.Phase != AttachmentPhase.Releasing) continue;
            if (rec.Phase == AttachmentPhase.Retained && !expired) continue; // kept on purpose (Never, or TTL not yet over)
            try
            {
                using var attachmentLock = await journal.LockAttachmentAsync(rec.Key, ct).ConfigureAwait(false);
                var current = journal.Read(rec.Key);
                if (current is null) continue;
                if (expired)
                {
                    await ReleaseRetainedAsync(ctx, journal, current, ct).ConfigureAwait(false);
                    released++;
                    continue;
                }
                var outcome = await GiveBackOrDeferAsync(ctx, journal, current, ct).ConfigureAwait(false);
                if (outcome.StartsWith("pending", StringComparison.Ordinal)) { pending++; errors.Add($"{rec.Key}: {outcome}"); }
                else released++;
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or CniException or IOException)
            {
                errors.Add($"{rec.Key}: {e.Message}");
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
        if (eip is not null && eip.TagMap.GetValueOrDefault(OwnershipTags.Retained) == "true" && !IsBound(eip))
        {
            await ReleaseAsync(rec, ct).ConfigureAwait(false);
            ctx.Log.Write(LogLevel.Info, "released a kept EIP whose time was over", ("allocationId", rec.AllocationId));
        }
        journal.Delete(rec.Key);
    }
}

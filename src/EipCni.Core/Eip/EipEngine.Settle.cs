using EipCni.Cloud;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>How far giving back an attachment's EIP got.</summary>
public enum SettleState
{
    /// <summary>Everything is given back, or the cloud shows it was never there; the record is gone.</summary>
    Done,

    /// <summary>
    /// Nothing of ours can be associated with the pod's IP any more, but a release is still due (or an allocation's
    /// outcome is unknown, which cannot point at the IP either). The record stays; a later DEL, GC or the agent finishes it.
    /// </summary>
    ReleaseDeferred,

    /// <summary>The cloud has not confirmed that the EIP left the pod's IP: the IP must not be handed to another pod yet.</summary>
    StillBound,
}

/// <summary>The outcome of <c>SettleAsync</c>: where it got, a summary for the log, and the cloud's answer that stopped it.</summary>
public sealed record Settlement(SettleState State, string Summary, Exception? Cause = null);

public sealed partial class EipEngine
{
    /// <summary>Where the unbind step left the EIP.</summary>
    private enum Unbinding { Free, Gone, Elsewhere, NotOurs }

    /// <summary>
    /// DEL's, rollback's, GC's and the sweep's one path. A record is removed only when the cloud positively shows its
    /// work undone or never done: an allocation whose answer was lost is replayed by its ClientToken, an association
    /// that may still land is replayed by its own, and an unbind counts only once Describe shows the EIP off the IP.
    /// </summary>
    internal async Task<Settlement> SettleAsync(AttachmentContext ctx, Journal journal, AttachmentRecord rec, CancellationToken ct)
    {
        if (rec.Phase != AttachmentPhase.Releasing) rec = journal.Write(rec with { Phase = AttachmentPhase.Releasing });

        if (rec.AllocationId is null)
        {
            if (rec.Origin != EipOrigin.Automatic || rec.ClientToken is null)
            {
                journal.Delete(rec.Key);
                return new Settlement(SettleState.Done, "nothing allocated");
            }
            EipAddress? created;
            try
            {
                created = await ResolveAllocationAsync(rec, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException)
            {
                // No association was ever sent for it, so it cannot point at the pod's IP: only money is at stake.
                Defer(journal, rec, e);
                return new Settlement(SettleState.ReleaseDeferred, "the outcome of an allocation is not known yet; kept for a later pass", e);
            }
            if (created is null)
            {
                journal.Retire(rec.Key, rec.Generation + 1);
                return new Settlement(SettleState.Done, "the cloud shows nothing was allocated");
            }
            rec = journal.Write(rec with { AllocationId = created.AllocationId, EipAddress = created.IpAddress });
        }
        var id = rec.AllocationId!;

        if (rec.Unbound)
        {
            // A release that waits: the record alone is no proof the EIP is ours, the cloud's ownership tags are.
            EipAddress? current;
            try
            {
                current = await DescribeAsync(id, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException)
            {
                Defer(journal, rec, e);
                return new Settlement(SettleState.ReleaseDeferred, $"pending release of {id}", e);
            }
            if (current is null || current.Status == "Releasing")
            {
                journal.Retire(rec.Key, rec.Generation + 1);
                return new Settlement(SettleState.Done, $"EIP {id} no longer exists");
            }
            if (!IsOurs(ctx, journal, rec, current)) return Untrusted(ctx, journal, rec);
        }
        else
        {
            Unbinding where;
            try
            {
                (where, rec) = await EnsureUnboundAsync(ctx, journal, rec, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException)
            {
                rec = journal.Write(rec with { LastError = ErrorText(e) });
                return new Settlement(SettleState.StillBound, $"EIP {id} may still be bound to {rec.NetworkInterfaceId} {rec.PrivateIp}", e);
            }
            switch (where)
            {
                case Unbinding.Gone:
                    if (rec.Origin == EipOrigin.Automatic) journal.Retire(rec.Key, rec.Generation + 1);
                    else journal.Delete(rec.Key);
                    return new Settlement(SettleState.Done, $"EIP {id} no longer exists");
                case Unbinding.NotOurs:
                    return Untrusted(ctx, journal, rec);
                case Unbinding.Elsewhere:
                    journal.Delete(rec.Key);
                    ctx.Log.Write(LogLevel.Warn, "EIP is bound elsewhere; leaving that binding alone", ("allocationId", id));
                    return new Settlement(SettleState.Done, $"EIP {id} is held elsewhere; left alone");
            }
            rec = journal.Write(rec with { Unbound = true, AssociateToken = null, LastError = null });
        }

        if (rec.Origin == EipOrigin.UserSpecified)
        {
            journal.Delete(rec.Key);
            return new Settlement(SettleState.Done, $"unbound user EIP {id}");
        }
        try
        {
            return await ReleaseOrKeepAsync(ctx, journal, rec, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CloudException or OperationCanceledException)
        {
            Defer(journal, rec, e);
            ctx.Log.Write(LogLevel.Warn, "release deferred: the EIP is unbound, a later DEL, GC or the agent releases it",
                ("allocationId", id), ("error", ErrorText(e)));
            return new Settlement(SettleState.ReleaseDeferred, $"pending release of {id}", e);
        }
    }

    /// <summary>
    /// Trust nothing a file says: before an unbind or release driven by a record, an automatic EIP must carry this
    /// cluster's ownership tags and the record's container ID; a user-specified EIP (only ever unbound, never
    /// released) must not be claimed by another live attachment of this node. A planted or stale record can make the
    /// plugin touch nothing it does not own.
    /// </summary>
    private static bool IsOurs(AttachmentContext ctx, Journal journal, AttachmentRecord rec, EipAddress eip)
    {
        var cluster = ClusterIdOf(ctx) ?? rec.ClusterId;
        if (rec.ClusterId != cluster) return false;
        if (rec.Origin == EipOrigin.Automatic)
            return eip.TagMap.GetValueOrDefault(OwnershipTags.Cluster) == OwnershipTags.Value(cluster)
                && eip.TagMap.GetValueOrDefault(OwnershipTags.ContainerId) == OwnershipTags.Value(rec.ContainerId);
        return !journal.List().Any(r => r.Key != rec.Key && r.AllocationId == rec.AllocationId && r.Phase != AttachmentPhase.Releasing);
    }

    private static Settlement Untrusted(AttachmentContext ctx, Journal journal, AttachmentRecord rec)
    {
        journal.Delete(rec.Key);
        ctx.Log.Write(LogLevel.Error, "a journal record names an EIP this attachment does not own; it was dropped and the EIP left alone",
            ("record", rec.Key.FileStem), ("allocationId", rec.AllocationId), ("origin", rec.Origin.ToString()));
        return new Settlement(SettleState.Done, $"EIP {rec.AllocationId} is not this attachment's; left alone");
    }

    /// <summary>Records the failure and when the sweep may try this record again: at once after the first, then 5 s doubling to 10 min.</summary>
    private void Defer(Journal journal, AttachmentRecord rec, Exception e)
    {
        rec = journal.Read(rec.Key) ?? rec; // the steps before the failure may have written progress since
        var attempts = rec.Attempts + 1;
        var backoff = attempts == 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(600, 5 * Math.Pow(2, Math.Min(attempts - 2, 10))));
        journal.Write(rec with { Attempts = attempts, NextAttemptAt = _svc.Time.GetUtcNow() + backoff, LastError = ErrorText(e) });
    }

    /// <summary>
    /// The cloud's code and request ID, without its free text: a DEL or GC error must never say "not found" (containerd
    /// reads that as success and forgets the sandbox), and "InvalidAccessKeyId.NotFound" says what it must.
    /// </summary>
    private static string ErrorText(Exception e) => e switch
    {
        CloudException c => $"{c.Action} answered {c.Code}" + (c.HttpStatus > 0 ? $" (HTTP {c.HttpStatus}" : " (no answer") +
            (c.RequestId is null ? ")" : $", RequestId {c.RequestId})"),
        OperationCanceledException => "the cloud did not finish within the call's budget",
        _ => e.Message,
    };

    /// <summary>
    /// What an allocation whose answer never came created: the EIP carrying this container's ownership tags, else the
    /// answer to the same request replayed with the same ClientToken (the cloud returns what the first call created,
    /// or creates it now, so either way we learn its ID). Null when the cloud positively shows nothing exists.
    /// Throws while the first call is still being processed (<c>LastTokenProcessing</c>) or the cloud does not answer.
    /// </summary>
    private async Task<EipAddress?> ResolveAllocationAsync(AttachmentRecord rec, CancellationToken ct)
    {
        var found = await FindByContainerAsync(rec.ClusterId, rec.ContainerId, ct).ConfigureAwait(false);
        if (found is not null) return found;
        if (rec.AllocateRequest is not { } request) return null; // a record from before requests were kept: the tag search is all we have
        try
        {
            var replayed = await _svc.Eip.AllocateEipAddressAsync(request with { ClientToken = rec.ClientToken }, ct).ConfigureAwait(false);
            if (string.IsNullOrEmpty(replayed.AllocationId))
                throw new CloudException("AllocateEipAddress", CloudErrorCodes.InvalidResponse, "the answer has no AllocationId", replayed.RequestId, 200);
            return new EipAddress { AllocationId = replayed.AllocationId, IpAddress = replayed.EipAddress, Status = "Available" };
        }
        catch (CloudException e) when (e.Code == "IdempotentParameterMismatch")
        {
            // The token was used with other options: whatever it created carries our tags (or is already gone).
            return await FindByContainerAsync(rec.ClusterId, rec.ContainerId, ct).ConfigureAwait(false);
        }
        catch (CloudException e) when (!e.IsRetryable && !CloudErrorMapping.IsAmbiguous(e))
        {
            return null; // a definite refusal: the token has no success to replay, so it never created anything
        }
    }

    /// <summary>
    /// Makes sure the EIP is not associated with the record's (ENI, IP): unbinds it when it is (retrying while the cloud
    /// says the EIP is in transition), waits until Describe shows it off the IP, and first settles an association that
    /// may still be in flight by replaying its ClientToken. Throws when the budget ends before the cloud confirms.
    /// </summary>
    private async Task<(Unbinding, AttachmentRecord)> EnsureUnboundAsync(AttachmentContext ctx, Journal journal, AttachmentRecord rec, CancellationToken ct)
    {
        var id = rec.AllocationId!;
        var eni = rec.NetworkInterfaceId ?? "";
        var ip = rec.PrivateIp ?? "";
        var poll = new PollClock(_svc.Time);
        while (true)
        {
            var eip = await DescribeAsync(id, ct).ConfigureAwait(false);
            if (eip is null || eip.Status == "Releasing") return (Unbinding.Gone, rec);
            if (!IsOurs(ctx, journal, rec, eip)) return (Unbinding.NotOurs, rec);
            var on = IsOn(eip, eni, ip, rec.EniPrimaryIp);
            if (!on && rec.AssociateToken is { } token)
            {
                await ReplayAssociationAsync(ctx, id, eni, ip, token, ct).ConfigureAwait(false);
                rec = journal.Write(rec with { AssociateToken = null });
                continue; // look again: the replay may have bound it just now
            }
            if (!on && !(eip.Status is "Associating" or "Unassociating" && string.IsNullOrEmpty(eip.InstanceId)))
                return (IsBound(eip) || eip.Status == "Unassociating" ? Unbinding.Elsewhere : Unbinding.Free, rec);
            // In transition to or from somewhere this answer does not name: wait until it says where.
            if (on && eip.Status == "InUse")
            {
                try
                {
                    await _svc.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(id)
                    {
                        InstanceId = eni,
                        InstanceType = "NetworkInterface",
                        PrivateIpAddress = string.IsNullOrEmpty(eip.PrivateIpAddress) ? null : ip,
                    }, ct).ConfigureAwait(false);
                }
                catch (CloudException e) when (e.Code is "InvalidInstanceId.NotFound" or "InvalidInstanId.NotFound" or "InvalidParams.NotFound")
                {
                    return (Unbinding.Free, rec); // the ENI or the IP is gone, and its bindings with it
                }
                catch (CloudException e) when (CloudErrorMapping.IsGone(e) || e.Code is "IncorrectEipStatus" or "InvalidBindingStatus" or "TaskConflict")
                {
                    // In transition, moved, or gone meanwhile: look again after the next poll interval.
                    ctx.Log.Write(LogLevel.Info, "unbind refused for now; looking again", ("allocationId", id), ("code", e.Code), ("requestId", e.RequestId));
                }
            }
            await poll.NextAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Replays an association whose answer never came, with the same ClientToken: a success means it landed (or lands
    /// now) and the caller unbinds it; a definite refusal means it never did. Still processing or no answer: throws.
    /// </summary>
    private async Task ReplayAssociationAsync(AttachmentContext ctx, string id, string eni, string ip, string token, CancellationToken ct)
    {
        try
        {
            await _svc.Eip.AssociateEipAddressAsync(new AssociateEipRequest(id, eni, ip) { ClientToken = token }, ct).ConfigureAwait(false);
            ctx.Log.Write(LogLevel.Info, "an association in doubt was replayed; it is bound now and will be unbound", ("allocationId", id));
        }
        catch (CloudException e) when (!e.IsRetryable && !CloudErrorMapping.IsAmbiguous(e))
        {
            ctx.Log.Write(LogLevel.Info, "an association in doubt never landed", ("allocationId", id), ("code", e.Code));
        }
    }

    /// <summary>The EIP is off the pod's IP: release it (Follow) or keep it for the pod identity (Never, TTL).</summary>
    private async Task<Settlement> ReleaseOrKeepAsync(AttachmentContext ctx, Journal journal, AttachmentRecord rec, CancellationToken ct)
    {
        var id = rec.AllocationId!;
        if (!ReleaseStrategy.TryParse(rec.ReleaseStrategy, out var strategy, out _)) strategy = ReleaseStrategy.Follow;
        if (strategy.Kind == ReleaseKind.Follow)
        {
            var released = await ReleaseAsync(journal, rec, ct).ConfigureAwait(false);
            if (!released)
            {
                journal.Delete(rec.Key);
                ctx.Log.Write(LogLevel.Warn, "the EIP was bound elsewhere after it left the pod; leaving it alone", ("allocationId", id));
                return new Settlement(SettleState.Done, $"EIP {id} is held elsewhere; left alone");
            }
            journal.Retire(rec.Key, rec.Generation + 1);
            return new Settlement(SettleState.Done, $"released {id}");
        }
        var after = strategy.Kind == ReleaseKind.Ttl ? _svc.Time.GetUtcNow() + strategy.Ttl!.Value : (DateTimeOffset?)null;
        await _svc.Eip.TagResourcesAsync([id], [
            new(OwnershipTags.Retained, "true"),
            new(OwnershipTags.ReleaseAfter, after?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) ?? ""),
        ], ct).ConfigureAwait(false);
        journal.Write(rec with { Phase = AttachmentPhase.Retained, ReleaseAfter = after, LastError = null, Attempts = 0, NextAttemptAt = null });
        return new Settlement(SettleState.Done, after is null ? $"kept {id} (release strategy Never)" : $"kept {id} until {after:u}");
    }

    /// <summary>
    /// Leaves the bandwidth package (if it joined one), then releases. Every "already gone" answer counts as done.
    /// False when the EIP turned out to be bound to something else (not ours to release while in use).
    /// </summary>
    private async Task<bool> ReleaseAsync(Journal journal, AttachmentRecord rec, CancellationToken ct)
    {
        if (rec.AllocationId is not { } id) return true;
        if (rec.InBandwidthPackage && rec.BandwidthPackageId is { } pkg)
        {
            try
            {
                await _svc.Eip.RemoveCommonBandwidthPackageIpAsync(pkg, id, null, ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (CloudErrorMapping.IsGone(e))
            {
            }
            rec = journal.Write(rec with { InBandwidthPackage = false }); // a retried release does not leave it twice
        }
        try
        {
            await _svc.Eip.ReleaseEipAddressAsync(id, ct).ConfigureAwait(false);
            return true;
        }
        catch (CloudException e) when (CloudErrorMapping.IsGone(e))
        {
            return true;
        }
        catch (CloudException e) when (e.Code is "IncorrectEipStatus" or "TaskConflict")
        {
            // Already releasing (a retry after a lost answer), or bound again by someone: look before deciding.
            var eip = await DescribeAsync(id, ct).ConfigureAwait(false);
            if (eip is null || eip.Status == "Releasing") return true;
            if (IsBound(eip)) return false;
            throw;
        }
    }

    /// <summary>Poll intervals that grow with the time already waited (a tenth of it, 100 ms to 2 s), scheduled on the clock.</summary>
    private sealed class PollClock
    {
        private readonly TimeProvider _time;
        private readonly long _start;
        private TimeSpan _next;

        public PollClock(TimeProvider time)
        {
            _time = time;
            _start = time.GetTimestamp();
        }

        public async Task NextAsync(CancellationToken ct)
        {
            _next += TimeSpan.FromMilliseconds(Math.Clamp(_next.TotalMilliseconds / 10, 100, 2000));
            var wait = _next - _time.GetElapsedTime(_start);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            else ct.ThrowIfCancellationRequested();
        }
    }
}

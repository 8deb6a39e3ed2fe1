using System.Diagnostics;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Kube;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// What every verb shares: the cloud, Kubernetes and journal views of one call, the guarded reads and waits, events,
/// and the settle path that DEL, an ADD's rollback, GC and the leftover sweep all give back through. Every mutating
/// cloud call is preceded by a journal write, so a crash at any point leaves a record a later call converges from.
/// </summary>
internal sealed class EngineCore
{
    public const string ConditionType = "k8s.aliyun.com/eip";

    /// <summary>How long a successful ADD waits, at its end, for best-effort events still in flight: they must never slow a pod down.</summary>
    private static readonly TimeSpan EventGrace = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// A failing ADD waits longer for its Warning event: it is how the operator learns why the pod does not start, the
    /// pod is not starting anyway, and a fresh process needs about 100 ms for the API server's TLS handshake.
    /// </summary>
    private static readonly TimeSpan FailureEventGrace = TimeSpan.FromSeconds(1);

    private readonly List<Task> _events = [];

    public EngineCore(EipServices services, EngineCall call)
    {
        Svc = services;
        Call = call;
        Journal = new Journal(call.StateDir, call.Key.Network, call.Log); // a quarantined record is logged
    }

    public EipServices Svc { get; }
    public EngineCall Call { get; }
    public Journal Journal { get; }
    public ILog Log => Call.Log;

    /// <summary>
    /// Holds the attachment for the whole verb. When the budget ends while another call of the same attachment (a
    /// racing ADD, a DEL during a slow ADD) still holds it, that is "try again later" (11), not an internal error (999):
    /// the runtime retries, and the holder finishes or undoes its own work meanwhile.
    /// </summary>
    public async Task<IDisposable> LockAsync(AttachmentKey key, CancellationToken ct)
    {
        try
        {
            return await Journal.LockAttachmentAsync(key, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            throw new CniException(CniCode.TryAgainLater, "another eip-cni call for this pod's attachment is still running",
                $"{key.FileStem} of network {key.Network} stayed locked for the whole budget", e);
        }
    }

    public async Task<EipAddress?> DescribeAsync(string allocationId, CancellationToken ct)
    {
        var list = await Svc.Eip.DescribeEipAddressesAsync(new EipQuery { AllocationIds = [allocationId] }, ct).ConfigureAwait(false);
        return list.FirstOrDefault(e => e.AllocationId == allocationId);
    }

    /// <summary>Bound (or binding) to exactly this ENI and IP? A binding to the ENI's primary IP reads back with an empty PrivateIpAddress.</summary>
    public static bool IsOn(EipAddress eip, string eniId, string ip, string? eniPrimaryIp) =>
        eip.InstanceId == eniId &&
        (eip.PrivateIpAddress == ip || (string.IsNullOrEmpty(eip.PrivateIpAddress) && (eniPrimaryIp is null || ip == eniPrimaryIp)));

    public static bool IsBound(EipAddress eip) => eip.State is EipStatus.InUse or EipStatus.Associating;

    public static string Holder(EipAddress eip) =>
        $"{eip.InstanceType} {eip.InstanceId}" + (string.IsNullOrEmpty(eip.PrivateIpAddress) ? " (primary IP)" : $" {eip.PrivateIpAddress}") + $", status {eip.Status}";

    /// <summary>
    /// Polls until <paramref name="done"/> holds. The interval grows with the time already waited (a tenth of it,
    /// 100 ms to 2 s) and polls are scheduled on the clock, not after each answer, so the call's own latency does not
    /// stretch them: a quick association is seen within ~100 ms, a slow one costs few calls (the account's
    /// DescribeEipAddresses quota is shared by every node), and the overshoot stays near 10%. No fixed sleeps; the
    /// budget bounds everything.
    /// </summary>
    public async Task<EipAddress?> WaitForAsync(string allocationId, Func<EipAddress?, bool> done, CancellationToken ct)
    {
        var poll = new PollClock(Svc.Time);
        while (true)
        {
            await poll.NextAsync(ct).ConfigureAwait(false);
            EipAddress? eip;
            try
            {
                eip = await DescribeAsync(allocationId, ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (e.IsRetryable && !ct.IsCancellationRequested)
            {
                continue; // the client already backed off; keep waiting inside the budget
            }
            if (done(eip)) return eip;
        }
    }

    /// <summary>Best effort: an event that cannot be posted is logged, never fails the verb.</summary>
    public async Task PostEventAsync(PodEventType type, string reason, string message, CancellationToken ct)
    {
        if (Call.PodNamespace is not { } ns || Call.PodName is not { } name) return;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            await Svc.Kube.CreateEventAsync(new PodEvent(ns, name, Call.PodUid, type, reason, message), cts.Token).ConfigureAwait(false);
        }
        // CniException: an unusable kubeconfig surfaces from the lazily built client; it must not replace the verb's own error.
        catch (Exception e) when (e is KubeException or KubeconfigException or CniException or OperationCanceledException or IOException)
        {
            Log.Write(LogLevel.Warn, "cannot post the pod event", ("reason", reason), ("error", e.Message));
        }
    }

    /// <summary>
    /// Posts an event in the background, overlapping whatever the verb does next; <see cref="DrainEventsAsync"/> gives
    /// the ones still in flight a short grace at the end. An API server that is slow to accept events never delays ADD
    /// by more than that grace.
    /// </summary>
    public void FireEvent(PodEventType type, string reason, string message) =>
        _events.Add(Task.Run(() => PostEventAsync(type, reason, message, CancellationToken.None), CancellationToken.None));

    public async Task DrainEventsAsync(bool failing = false)
    {
        if (_events.Count == 0) return;
        var all = Task.WhenAll(_events);
        await Task.WhenAny(all, Task.Delay(failing ? FailureEventGrace : EventGrace, Svc.Time)).ConfigureAwait(false);
    }

    /// <summary>
    /// Everything ADD needs that can be checked locally, checked before its first cloud call (a failure then costs
    /// nothing, where a failure after Allocate churns the cloud on every kubelet retry), and the very list STATUS
    /// reports: the cluster ID, the state dir ours and writable, the kubeconfig loadable, the cloud options and
    /// credential source usable. Throws the error ADD answers with.
    /// </summary>
    public string RequirePreconditions()
    {
        if (Call.ClusterIdError is { } invalidClusterId) throw invalidClusterId;
        var clusterId = Call.ClusterId ?? throw CniErrors.NoClusterId();
        // The state dir and each subdirectory that exists must be ours, writable by nobody else.
        PrivateFiles.CreateOrVerify(Call.StateDir);
        PrivateFiles.VerifyExisting(Call.StateDir, "networks", Call.Key.Network);
        PrivateFiles.VerifyExisting(Call.StateDir, "locks");
        PrivateFiles.VerifyExisting(Call.StateDir, "credentials");
        _ = Svc.Eip; // composes the cloud clients: invalid options or a half-configured AccessKey fail here (no I/O)
        // The kubeconfig loads in the background (its CA makes the process load OpenSSL: ~13 ms) while the verb takes its
        // lock and resolves the ENI; KubeLoadedAsync is awaited before anything is written that names a cloud call.
        _kubeLoad ??= Task.Run(RequireKube);
        return clusterId;
    }

    private Task? _kubeLoad;

    /// <summary>The kubeconfig check <see cref="RequirePreconditions"/> started; throws its error (7) when it failed.</summary>
    public Task KubeLoadedAsync() => _kubeLoad ?? Task.Run(RequireKube);

    /// <summary>Builds the API server client now (loading the kubeconfig), so an unusable kubeconfig fails before any cloud work.</summary>
    public void RequireKube()
    {
        try
        {
            _ = Svc.Kube;
        }
        catch (KubeconfigException e)
        {
            throw CniErrors.FromKubeconfig(e, Call.Kubeconfig);
        }
    }

    /// <summary>The pod's annotations: from the runtime when it passed them (no API call), else from the API server.</summary>
    public async Task<(IReadOnlyDictionary<string, string>? Annotations, PodView? Pod)> AnnotationsAsync(CancellationToken ct)
    {
        if (Call.PodAnnotations is { } given) return (given, null);
        if (Call.PodNamespace is not { } ns || Call.PodName is not { } name) return (null, null);
        var pod = await GetPodAsync(ns, name, ct).ConfigureAwait(false);
        return (pod.Annotations, pod);
    }

    public async Task<PodView> GetPodAsync(string ns, string name, CancellationToken ct)
    {
        try
        {
            return await Svc.Kube.GetPodAsync(ns, name, ct).ConfigureAwait(false);
        }
        catch (KubeException e)
        {
            throw CniErrors.FromKube(e, $"cannot read pod {ns}/{name} from the API server");
        }
        catch (KubeconfigException e)
        {
            throw CniErrors.FromKubeconfig(e, Call.Kubeconfig);
        }
    }
    /// <summary>
    /// DEL's, rollback's, GC's and the sweep's one path. A record is removed only when the cloud positively shows its
    /// work undone or never done: an allocation whose answer was lost is replayed by its ClientToken, an association
    /// that may still land is replayed by its own, and an unbind counts only once Describe shows the EIP off the IP.
    /// </summary>
    public async Task<Settlement> SettleAsync(AttachmentRecord rec, CancellationToken ct)
    {
        if (rec.Phase != AttachmentPhase.Releasing) rec = Journal.Write(rec with { Phase = AttachmentPhase.Releasing, ReleasingSince = Svc.Time.GetUtcNow() });

        if (rec.AllocationId is null)
        {
            if (rec.Origin != EipOrigin.Automatic || rec.ClientToken is null)
            {
                Journal.Delete(rec.Key);
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
                Defer(rec, e);
                return new Settlement(SettleState.ReleaseDeferred, "the outcome of an allocation is not known yet; kept for a later pass", e);
            }
            if (created is null)
            {
                Journal.Retire(rec.Key, rec.Generation + 1);
                return new Settlement(SettleState.Done, "the cloud shows nothing was allocated");
            }
            rec = Journal.Write(rec with { AllocationId = created.AllocationId, EipAddress = created.IpAddress });
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
                Defer(rec, e);
                return new Settlement(SettleState.ReleaseDeferred, $"pending release of {id}", e);
            }
            if (current is null || current.State == EipStatus.Releasing)
            {
                Journal.Retire(rec.Key, rec.Generation + 1);
                return new Settlement(SettleState.Done, $"EIP {id} no longer exists");
            }
            if (!IsOurs(rec, current)) return Untrusted(rec);
        }
        else
        {
            Unbinding where;
            try
            {
                (where, rec) = await EnsureUnboundAsync(rec, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException)
            {
                rec = Journal.Write(rec with { LastError = ErrorText(e) });
                return new Settlement(SettleState.StillBound, $"EIP {id} may still be bound to {rec.NetworkInterfaceId} {rec.PrivateIp}", e);
            }
            switch (where)
            {
                case Unbinding.Gone:
                    if (rec.Origin == EipOrigin.Automatic) Journal.Retire(rec.Key, rec.Generation + 1);
                    else Journal.Delete(rec.Key);
                    return new Settlement(SettleState.Done, $"EIP {id} no longer exists");
                case Unbinding.NotOurs:
                    return Untrusted(rec);
                case Unbinding.Elsewhere:
                    Journal.Delete(rec.Key);
                    Log.Write(LogLevel.Warn, "EIP is bound elsewhere; leaving that binding alone", ("allocationId", id));
                    return new Settlement(SettleState.Done, $"EIP {id} is held elsewhere; left alone");
            }
            rec = Journal.Write(rec with { Unbound = true, AssociateToken = null, LastError = null });
        }

        if (rec.Origin == EipOrigin.UserSpecified)
        {
            Journal.Delete(rec.Key);
            return new Settlement(SettleState.Done, $"unbound user EIP {id}");
        }
        try
        {
            return await ReleaseOrKeepAsync(rec, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CloudException or OperationCanceledException)
        {
            Defer(rec, e);
            Log.Write(LogLevel.Warn, "release deferred: the EIP is unbound, a later DEL, GC or the agent releases it",
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
    public bool IsOurs(AttachmentRecord rec, EipAddress eip)
    {
        var cluster = Call.ClusterId ?? rec.ClusterId;
        if (rec.ClusterId != cluster) return false;
        if (rec.Origin == EipOrigin.Automatic)
            return eip.TagMap.GetValueOrDefault(OwnershipTags.Cluster) == OwnershipTags.Value(cluster)
                && eip.TagMap.GetValueOrDefault(OwnershipTags.ContainerId) == OwnershipTags.Value(rec.ContainerId);
        return !Journal.List().Any(r => r.Key != rec.Key && r.AllocationId == rec.AllocationId && r.Phase != AttachmentPhase.Releasing);
    }

    public Settlement Untrusted(AttachmentRecord rec)
    {
        Journal.Delete(rec.Key);
        Log.Write(LogLevel.Error, "a journal record names an EIP this attachment does not own; it was dropped and the EIP left alone",
            ("record", rec.Key.FileStem), ("allocationId", rec.AllocationId), ("origin", rec.Origin.ToString()));
        return new Settlement(SettleState.Done, $"EIP {rec.AllocationId} is not this attachment's; left alone");
    }

    /// <summary>Records the failure and when the sweep may try this record again: at once after the first, then 5 s doubling to 10 min.</summary>
    public void Defer(AttachmentRecord rec, Exception e)
    {
        rec = Journal.Read(rec.Key) ?? rec; // the steps before the failure may have written progress since
        var attempts = rec.Attempts + 1;
        var backoff = attempts == 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(600, 5 * Math.Pow(2, Math.Min(attempts - 2, 10))));
        Journal.Write(rec with { Attempts = attempts, NextAttemptAt = Svc.Time.GetUtcNow() + backoff, LastError = ErrorText(e) });
    }

    /// <summary>The cloud's code and request ID, never its free text (<see cref="CloudErrorMapping.Describe"/>).</summary>
    public static string ErrorText(Exception e) => CloudErrorMapping.Describe(e);

    /// <summary>
    /// What an allocation whose answer never came created: the EIP carrying this container's ownership tags, else the
    /// answer to the same request replayed with the same ClientToken (the cloud returns what the first call created,
    /// or creates it now, so either way we learn its ID). Null when the cloud positively shows nothing exists.
    /// Throws while the first call is still being processed (<c>LastTokenProcessing</c>) or the cloud does not answer.
    /// </summary>
    public async Task<EipAddress?> ResolveAllocationAsync(AttachmentRecord rec, CancellationToken ct)
    {
        var found = await FindByContainerAsync(rec.ClusterId, rec.ContainerId, ct).ConfigureAwait(false);
        if (found is not null) return found;
        if (rec.AllocateRequest is not { } request) return null; // a record from before requests were kept: the tag search is all we have
        try
        {
            var replayed = await Svc.Eip.AllocateEipAddressAsync(request.ToRequest() with { ClientToken = rec.ClientToken }, ct).ConfigureAwait(false);
            if (string.IsNullOrEmpty(replayed.AllocationId))
                throw new CloudException("AllocateEipAddress", CloudErrorCodes.InvalidResponse, "the answer has no AllocationId", replayed.RequestId, 200);
            return new EipAddress { AllocationId = replayed.AllocationId, IpAddress = replayed.EipAddress, Status = "Available" };
        }
        catch (CloudException e) when (e.Code == "IdempotentParameterMismatch")
        {
            // The token was used with other options: whatever it created carries our tags (or is already gone).
            return await FindByContainerAsync(rec.ClusterId, rec.ContainerId, ct).ConfigureAwait(false);
        }
        catch (CloudException e) when (CloudErrorMapping.ProvesNotDone(e))
        {
            return null; // a definite refusal: the token has no success to replay, so it never created anything
        }
    }

    /// <summary>
    /// Makes sure the EIP is not associated with the record's (ENI, IP): unbinds it when it is (retrying while the cloud
    /// says the EIP is in transition), waits until Describe shows it off the IP, and first settles an association that
    /// may still be in flight by replaying its ClientToken. Throws when the budget ends before the cloud confirms.
    /// </summary>
    public async Task<(Unbinding, AttachmentRecord)> EnsureUnboundAsync(AttachmentRecord rec, CancellationToken ct)
    {
        var id = rec.AllocationId!;
        var eni = rec.NetworkInterfaceId ?? "";
        var ip = rec.PrivateIp ?? "";
        var poll = new PollClock(Svc.Time);
        while (true)
        {
            var eip = await DescribeAsync(id, ct).ConfigureAwait(false);
            if (eip is null || eip.State == EipStatus.Releasing) return (Unbinding.Gone, rec);
            if (!IsOurs(rec, eip)) return (Unbinding.NotOurs, rec);
            var on = IsOn(eip, eni, ip, rec.EniPrimaryIp);
            if (!on && rec.AssociateToken is { } token)
            {
                await ReplayAssociationAsync(id, eni, ip, token, ct).ConfigureAwait(false);
                rec = Journal.Write(rec with { AssociateToken = null });
                continue; // look again: the replay may have bound it just now
            }
            if (!on && !(eip.State is EipStatus.Associating or EipStatus.Unassociating && string.IsNullOrEmpty(eip.InstanceId)))
                return (IsBound(eip) || eip.State == EipStatus.Unassociating ? Unbinding.Elsewhere : Unbinding.Free, rec);
            // In transition to or from somewhere this answer does not name: wait until it says where.
            if (on && eip.State == EipStatus.InUse)
            {
                try
                {
                    await Svc.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(id)
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
                    Log.Write(LogLevel.Info, "unbind refused for now; looking again", ("allocationId", id), ("code", e.Code), ("requestId", e.RequestId));
                }
            }
            await poll.NextAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Replays an association whose answer never came, with the same ClientToken: a success means it landed (or lands
    /// now) and the caller unbinds it; a definite refusal means it never did. Still processing or no answer: throws.
    /// </summary>
    public async Task ReplayAssociationAsync(string id, string eni, string ip, string token, CancellationToken ct)
    {
        try
        {
            await Svc.Eip.AssociateEipAddressAsync(new AssociateEipRequest(id, eni, ip) { ClientToken = token }, ct).ConfigureAwait(false);
            Log.Write(LogLevel.Info, "an association in doubt was replayed; it is bound now and will be unbound", ("allocationId", id));
        }
        catch (CloudException e) when (CloudErrorMapping.ProvesNotDone(e))
        {
            Log.Write(LogLevel.Info, "an association in doubt never landed", ("allocationId", id), ("code", e.Code));
        }
    }

    /// <summary>The EIP is off the pod's IP: release it (Follow) or keep it for the pod identity (Never, TTL).</summary>
    public async Task<Settlement> ReleaseOrKeepAsync(AttachmentRecord rec, CancellationToken ct)
    {
        var id = rec.AllocationId!;
        if (!ReleaseStrategy.TryParse(rec.ReleaseStrategy, out var strategy, out _)) strategy = ReleaseStrategy.Follow;
        if (strategy.Kind == ReleaseKind.Follow)
        {
            var released = await ReleaseAsync(rec, ct).ConfigureAwait(false);
            if (!released)
            {
                Journal.Delete(rec.Key);
                Log.Write(LogLevel.Warn, "the EIP was bound elsewhere after it left the pod; leaving it alone", ("allocationId", id));
                return new Settlement(SettleState.Done, $"EIP {id} is held elsewhere; left alone");
            }
            Journal.Retire(rec.Key, rec.Generation + 1);
            return new Settlement(SettleState.Done, $"released {id}");
        }
        var after = await TagKeptAsync(id, strategy, ct).ConfigureAwait(false);
        Journal.Write(rec with { Phase = AttachmentPhase.Retained, ReleaseAfter = after, LastError = null, Attempts = 0, NextAttemptAt = null });
        return new Settlement(SettleState.Done, after is null ? $"kept {id} (release strategy Never)" : $"kept {id} until {after:u}");
    }

    /// <summary>
    /// Leaves the bandwidth package (if it joined one), then releases. Every "already gone" answer counts as done.
    /// False when the EIP turned out to be bound to something else (not ours to release while in use).
    /// </summary>
    public async Task<bool> ReleaseAsync(AttachmentRecord rec, CancellationToken ct)
    {
        if (rec.AllocationId is not { } id) return true;
        if (rec.InBandwidthPackage && rec.BandwidthPackageId is { } pkg)
        {
            await LeavePackageAsync(pkg, id, ct).ConfigureAwait(false);
            rec = Journal.Write(rec with { InBandwidthPackage = false }); // a retried release does not leave it twice
        }
        return await ReleaseEipAsync(id, rec.BandwidthPackageId, ct).ConfigureAwait(false);
    }

    /// <summary>Takes the EIP out of a shared bandwidth package; "not in it" or "gone" count as done.</summary>
    public async Task LeavePackageAsync(string packageId, string id, CancellationToken ct)
    {
        try
        {
            await Svc.Eip.RemoveCommonBandwidthPackageIpAsync(packageId, id, null, ct).ConfigureAwait(false);
        }
        catch (CloudException e) when (CloudErrorMapping.IsGone(e))
        {
        }
    }

    /// <summary>
    /// ReleaseEipAddress, every "already gone" answer counting as done. An EIP found (again) in
    /// <paramref name="packageId"/> leaves it first. False when it is bound to something (not ours to release in use).
    /// </summary>
    public async Task<bool> ReleaseEipAsync(string id, string? packageId, CancellationToken ct)
    {
        try
        {
            await Svc.Eip.ReleaseEipAddressAsync(id, ct).ConfigureAwait(false);
            return true;
        }
        catch (CloudException e) when (CloudErrorMapping.IsGone(e))
        {
            return true;
        }
        catch (CloudException e) when (e.Code == "OperationUnsupported.EipInCbwp" && packageId is { } package)
        {
            // Still (or again) in the package: an add whose answer came late landed after we left it. Leave it, then release.
            await LeavePackageAsync(package, id, ct).ConfigureAwait(false);
            await Svc.Eip.ReleaseEipAddressAsync(id, ct).ConfigureAwait(false);
            return true;
        }
        catch (CloudException e) when (e.Code is "IncorrectEipStatus" or "TaskConflict")
        {
            // Already releasing (a retry after a lost answer), or bound again by someone: look before deciding.
            var eip = await DescribeAsync(id, ct).ConfigureAwait(false);
            if (eip is null || eip.State == EipStatus.Releasing) return true;
            if (IsBound(eip)) return false;
            throw;
        }
    }

    /// <summary>Marks an unbound EIP as kept for its pod identity (Never, or until the TTL is over); returns when it may be released.</summary>
    public async Task<DateTimeOffset?> TagKeptAsync(string id, ReleaseStrategy strategy, CancellationToken ct)
    {
        var after = strategy.Kind == ReleaseKind.Ttl ? Svc.Time.GetUtcNow() + strategy.Ttl!.Value : (DateTimeOffset?)null;
        await Svc.Eip.TagResourcesAsync([id], [
            new(OwnershipTags.Retained, "true"),
            new(OwnershipTags.ReleaseAfter, after?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) ?? ""),
        ], ct).ConfigureAwait(false);
        return after;
    }

    /// <summary>A kept EIP whose TTL is over is released, unless a new sandbox of the pod took it over meanwhile.</summary>
    public async Task ReleaseRetainedAsync(AttachmentRecord rec, CancellationToken ct)
    {
        var eip = rec.AllocationId is null ? null : await DescribeAsync(rec.AllocationId, ct).ConfigureAwait(false);
        if (eip is not null && eip.TagMap.GetValueOrDefault(OwnershipTags.Retained) == "true" && !IsBound(eip)
            && eip.TagMap.GetValueOrDefault(OwnershipTags.Cluster) == OwnershipTags.Value(Call.ClusterId ?? rec.ClusterId))
        {
            await ReleaseAsync(rec, ct).ConfigureAwait(false);
            Log.Write(LogLevel.Info, "released a kept EIP whose time was over", ("allocationId", rec.AllocationId));
        }
        Journal.Delete(rec.Key);
    }

    /// <summary>The EIP carrying this cluster's tags for this container ID (not one on its way out), if any.</summary>
    public async Task<EipAddress?> FindByContainerAsync(string clusterId, string containerId, CancellationToken ct)
    {
        var found = await Svc.Eip.DescribeEipAddressesAsync(new EipQuery
        {
            Tags = [new(OwnershipTags.Cluster, OwnershipTags.Value(clusterId)), new(OwnershipTags.ContainerId, OwnershipTags.Value(containerId))],
        }, ct).ConfigureAwait(false);
        return found.FirstOrDefault(e => e.State != EipStatus.Releasing);
    }

    /// <summary>Poll intervals that grow with the time already waited (a tenth of it, 100 ms to 2 s), scheduled on the clock.</summary>
    public sealed class PollClock
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

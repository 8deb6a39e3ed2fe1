using System.Diagnostics;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Kube;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// ADD: reads what the pod asks for, then allocates (or reuses) its EIP and binds it to the pod's ENI IP before the
/// result is printed; on any failure it undoes its own work through the settle path and fails.
/// </summary>
internal sealed class AddVerb
{
    private readonly EngineCore _core;

    public AddVerb(EngineCore core) => _core = core;

    private EipServices Svc => _core.Svc;
    private Journal Journal => _core.Journal;
    private ILog Log => _core.Log;
    private EngineCall Call => _core.Call;

    public async Task<string> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var (annotations, pod) = await _core.AnnotationsAsync(ct).ConfigureAwait(false);
        if (annotations is null)
        {
            Log.Write(LogLevel.Warn, "no pod annotations from the runtime and no pod name in CNI_ARGS: nothing to do");
            return "no pod identity";
        }
        EipRequest request;
        try
        {
            request = EipRequestParser.Parse(annotations);
        }
        catch (CniException e)
        {
            _core.FireEvent(PodEventType.Warning, "EipInvalidAnnotation", $"{e.Message}: {e.Details}");
            await _core.DrainEventsAsync(failing: true).ConfigureAwait(false);
            throw;
        }
        if (!request.Wanted) return Plugin.EipPlugin.NotAskedSummary;

        if (Call.PodNamespace is not { } podNamespace || Call.PodName is not { } podName)
            throw new CniException(CniCode.InvalidEnvironment, "CNI_ARGS lacks K8S_POD_NAMESPACE or K8S_POD_NAME",
                "eip-cni needs the pod identity to tag its EIP and write the address back to the pod");
        var podIp = Call.PodIp
            ?? throw new CniException(CniCode.InvalidConfig, $"prevResult has no IPv4 address for {Call.Key.IfName}",
                "an EIP binds to the pod's ENI private IPv4; the previous plugin reported none");

        var strategy = request.ReleaseStrategy;
        var warnings = new List<string>(request.Warnings);
        if (ReleaseStrategyRule.NeedsOwner(request))
        {
            pod ??= await _core.GetPodAsync(podNamespace, podName, ct).ConfigureAwait(false);
            (strategy, var ignored) = ReleaseStrategyRule.Effective(request, pod.Controller?.Kind, Call.StatefulWorkloadKinds);
            if (ignored is not null) warnings.Add(ignored);
        }
        if (warnings.Count > 0)
            _core.FireEvent(PodEventType.Warning, "EipAnnotationIgnored", string.Join("; ", warnings));

        // Everything that can be checked locally is checked before the first mutating call: a kubeconfig that cannot
        // be loaded would otherwise surface only at the write-back, after an EIP was allocated, bound, unbound and
        // released — and kubelet retries ADD, so the cloud would churn (and bill) on every retry.
        var clusterId = _core.RequirePreconditions();

        // A progress event for the operator, posted in the background: it also opens the API server's TLS connection
        // (about 90 ms in a fresh process) while the cloud works, so the write-back finds it warm.
        _core.FireEvent(PodEventType.Normal, "EipBinding",
            request.UserAllocationId is { } named ? $"binding EIP {named} to pod IP {podIp}" : $"allocating an EIP for pod IP {podIp}");

        var key = Call.Key;
        using var attachmentLock = await _core.LockAsync(key, ct).ConfigureAwait(false);
        AttachmentRecord? record = null;
        try
        {
            var eni = await Svc.Enis.ResolveAsync(podIp, ct).ConfigureAwait(false);
            await _core.KubeLoadedAsync().ConfigureAwait(false); // the last local precondition, before any cloud call is recorded
            var existing = Journal.Read(key);
            record = existing ?? new AttachmentRecord
            {
                Network = key.Network,
                ContainerId = key.ContainerId,
                IfName = key.IfName,
                ClusterId = clusterId,
                PodNamespace = podNamespace,
                PodName = podName,
                PodUid = Call.PodUid,
                Origin = request.Automatic ? EipOrigin.Automatic : EipOrigin.UserSpecified,
                Phase = AttachmentPhase.Allocating,
                Generation = Journal.StartGeneration(key),
            };
            record = record with
            {
                Phase = existing?.Phase == AttachmentPhase.Releasing ? AttachmentPhase.Allocated : record.Phase,
                ReleasingSince = null,
                Unbound = false,
                HeldEventPosted = false,
                NetworkInterfaceId = eni.NetworkInterfaceId,
                PrivateIp = podIp,
                EniPrimaryIp = eni.PrimaryIp,
                ReleaseStrategy = strategy.ToString(),
                BandwidthPackageId = request.Automatic ? request.CommonBandwidthPackageId ?? record.BandwidthPackageId : null,
            };

            EipAddress bound;
            if (request.UserAllocationId is { } userId)
                (record, bound) = await BindUserEipAsync(record, userId, eni, podIp, ct).ConfigureAwait(false);
            else
                (record, bound) = await BindAutomaticEipAsync(record, request, strategy, eni, podIp, clusterId, ct).ConfigureAwait(false);

            // The Bound event goes out while the annotations are written: it is best effort, the write-back is not.
            _core.FireEvent(PodEventType.Normal, "EipBound",
                $"EIP {bound.IpAddress} ({bound.AllocationId}) bound to {eni.NetworkInterfaceId} {podIp} in {clock.Elapsed.TotalSeconds:0.00}s");
            await WriteBackAsync(podNamespace, podName, bound, eni, pod, ct).ConfigureAwait(false);
            record = Journal.Write(record with { Phase = AttachmentPhase.Bound, EipAddress = bound.IpAddress, LastError = null, AssociateToken = null });
            await _core.DrainEventsAsync().ConfigureAwait(false);
            return $"bound {bound.AllocationId} {bound.IpAddress} to {eni.NetworkInterfaceId} {podIp}";
        }
        catch (Exception e)
        {
            var waitingForAssociation = Journal.Read(key)?.Phase == AttachmentPhase.Binding;
            var error = CniErrors.ForAdd(e, ct, waitingForAssociation, Call.Kubeconfig);
            _core.FireEvent(PodEventType.Warning, "EipFailed", $"{error.Message}: {error.Details}");
            if (record is not null) await RollbackAsync(record).ConfigureAwait(false);
            var cloud = e as CloudException ?? e.InnerException as CloudException;
            await _core.DrainEventsAsync(failing: true).ConfigureAwait(false);
            Log.Write(LogLevel.Error, "ADD failed; rolled back", ("error", error.Message), ("cloudCode", cloud?.Code), ("requestId", cloud?.RequestId));
            throw error;
        }
    }

    /// <summary>
    /// Allocates (or reuses) the pod's EIP and binds it. A ClientToken's answer is replayed by the cloud long after its
    /// EIP was released; the generation marker of the journal prevents that, but if the state dir was lost the EIP the
    /// token names may be gone. Rather than describe every new EIP (a round trip on every ADD), a step that fails is
    /// checked: if the EIP no longer exists, the next generation allocates afresh.
    /// </summary>
    private async Task<(AttachmentRecord, EipAddress)> BindAutomaticEipAsync(AttachmentRecord rec,
        EipRequest request, ReleaseStrategy strategy, EniBinding eni, string podIp, string clusterId, CancellationToken ct)
    {
        for (var pass = 0; ; pass++)
        {
            try
            {
                return await BindAutomaticOnceAsync(rec, request, strategy, eni, podIp, clusterId, ct).ConfigureAwait(false);
            }
            // A replayed token can also make the binding itself report the EIP gone (its association token replays
            // the old success too): 105 from the bind is the same signal as a cloud refusal here.
            catch (Exception e) when (e is CloudException or CniException { Code: CniCode.EipUnknown } && pass < 2 && !ct.IsCancellationRequested)
            {
                var current = Journal.Read(rec.Key);
                if (current?.AllocationId is not { } id) throw;
                var now = await _core.DescribeAsync(id, ct).ConfigureAwait(false);
                if (now is not null && now.State != EipStatus.Releasing) throw; // the EIP exists: a genuine failure
                Log.Write(LogLevel.Info, "the client token named a released EIP; allocating with the next generation",
                    ("allocationId", id), ("generation", current.Generation), ("code", (e as CloudException)?.Code ?? e.Message));
                rec = Journal.Write(current with { AllocationId = null, EipAddress = null, InBandwidthPackage = false, Generation = current.Generation + 1, Phase = AttachmentPhase.Allocating });
            }
        }
    }

    private async Task<(AttachmentRecord, EipAddress)> BindAutomaticOnceAsync(AttachmentRecord rec,
        EipRequest request, ReleaseStrategy strategy, EniBinding eni, string podIp, string clusterId, CancellationToken ct)
    {
        EipAddress? eip = null;
        if (rec.AllocationId is { } known)
        {
            eip = await _core.DescribeAsync(known, ct).ConfigureAwait(false);
            if (eip is null || eip.State == EipStatus.Releasing)
                rec = Journal.Write(rec with { AllocationId = null, EipAddress = null, InBandwidthPackage = false, Generation = rec.Generation + 1, Phase = AttachmentPhase.Allocating });
        }

        if (rec.AllocationId is null && strategy.Kind != ReleaseKind.Follow)
        {
            // A pod identity with a kept EIP (Never/TTL) gets that one back, wherever it is bound.
            var kept = await FindRetainedAsync(clusterId, rec, ct).ConfigureAwait(false);
            if (kept is not null)
            {
                rec = Journal.Write(rec with { AllocationId = kept.AllocationId, EipAddress = kept.IpAddress, Phase = AttachmentPhase.Allocated, InBandwidthPackage = !string.IsNullOrEmpty(kept.BandwidthPackageId) });
                ForgetRetainedRecords(rec);
                await Svc.Eip.TagResourcesAsync([kept.AllocationId], [
                    new(OwnershipTags.Retained, "false"), new(OwnershipTags.ReleaseAfter, ""),
                    new(OwnershipTags.ContainerId, OwnershipTags.Value(rec.ContainerId)), new(OwnershipTags.PodUid, OwnershipTags.Value(rec.PodUid ?? "")),
                    new(OwnershipTags.Node, OwnershipTags.Value(Svc.NodeName))], ct).ConfigureAwait(false);
                eip = kept;
                if (EngineCore.IsBound(kept) && !EngineCore.IsOn(kept, eni.NetworkInterfaceId, podIp, eni.PrimaryIp))
                {
                    await Svc.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(kept.AllocationId) { InstanceId = kept.InstanceId, InstanceType = kept.InstanceType, PrivateIpAddress = string.IsNullOrEmpty(kept.PrivateIpAddress) ? null : kept.PrivateIpAddress }, ct).ConfigureAwait(false);
                    eip = await _core.WaitForAsync(kept.AllocationId, e => e is null || e.State == EipStatus.Available, ct).ConfigureAwait(false);
                }
            }
        }

        for (var attempt = 0; rec.AllocationId is null; attempt++)
        {
            if (attempt == 3)
                throw new CniException(CniCode.CloudRefused, "the cloud keeps refusing this attachment's client tokens", $"client token generation {rec.Generation}");
            var token = ClientTokens.Allocate(clusterId, rec.Network, rec.ContainerId, rec.IfName, rec.Generation);
            var allocate = new AllocateEipRequest
            {
                Bandwidth = request.Bandwidth.ToString(System.Globalization.CultureInfo.InvariantCulture),
                InternetChargeType = request.InternetChargeType,
                InstanceChargeType = request.InstanceChargeType,
                Isp = request.Isp,
                PublicIpAddressPoolId = request.PublicIpAddressPoolId,
                ResourceGroupId = request.ResourceGroupId,
                Name = request.Name ?? OwnershipTags.Value($"{rec.PodNamespace}/{rec.PodName}"),
                Description = request.Description ?? $"eip-cni: pod {rec.PodNamespace}/{rec.PodName} of cluster {clusterId}",
                SecurityProtectionTypes = request.SecurityProtectionTypes.Count > 0 ? request.SecurityProtectionTypes : null,
                Tags = OwnershipTags.ForNewEip(clusterId, rec.PodNamespace ?? "", rec.PodName ?? "", rec.PodUid, rec.ContainerId, Svc.NodeName, strategy.ToString()),
                ClientToken = token,
            };
            // Written first, with the request itself: a lost answer is later replayed verbatim to learn what it created.
            rec = Journal.Write(rec with { ClientToken = token, AllocateRequest = allocate.ToRecord(), Phase = AttachmentPhase.Allocating });
            AllocateEipResult result;
            try
            {
                result = await Svc.Eip.AllocateEipAddressAsync(allocate, ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (e.Code == "IdempotentParameterMismatch")
            {
                // An earlier attempt with this token created an EIP with other options (the annotations changed):
                // adopt that EIP through its ownership tags rather than create a second one.
                var earlier = await _core.FindByContainerAsync(clusterId, rec.ContainerId, ct).ConfigureAwait(false);
                if (earlier is null)
                {
                    rec = Journal.Write(rec with { Generation = rec.Generation + 1 });
                    continue;
                }
                result = new AllocateEipResult { AllocationId = earlier.AllocationId, EipAddress = earlier.IpAddress };
            }
            if (string.IsNullOrEmpty(result.AllocationId))
                throw new CloudException("AllocateEipAddress", CloudErrorCodes.InvalidResponse, "the answer has no AllocationId", result.RequestId, 200);
            eip = new EipAddress { AllocationId = result.AllocationId, IpAddress = result.EipAddress, Status = "Available" };
            rec = Journal.Write(rec with { AllocationId = result.AllocationId, EipAddress = result.EipAddress, Phase = AttachmentPhase.Allocated });
        }
        var id = rec.AllocationId!;

        if (request.UserTags.Count > 0)
            await Svc.Eip.TagResourcesAsync([id], request.UserTags.Select(t => new KeyValuePair<string, string>(t.Key, t.Value)).ToList(), ct).ConfigureAwait(false);

        if (rec.BandwidthPackageId is { } pkg && !rec.InBandwidthPackage)
        {
            rec = Journal.Write(rec with { InBandwidthPackage = true }); // written first: a crash after the call must still remove it
            try
            {
                await Svc.Eip.AddCommonBandwidthPackageIpAsync(pkg, id, ClientTokens.AddToPackage(clusterId, rec.Network, rec.ContainerId, rec.IfName, id, pkg), ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (e.Code == "OperationFailed.EipAlreadyInCbwp")
            {
            }
        }

        var bound = await BindAsync(rec, eip!, eni, podIp, ct).ConfigureAwait(false);
        return (Journal.Read(rec.Key) ?? rec, bound);
    }

    private async Task<(AttachmentRecord, EipAddress)> BindUserEipAsync(AttachmentRecord rec,
        string allocationId, EniBinding eni, string podIp, CancellationToken ct)
    {
        var eip = await _core.DescribeAsync(allocationId, ct).ConfigureAwait(false);
        if (eip is null || eip.State == EipStatus.Releasing)
            throw new CniException(CniCode.EipUnknown, $"the EIP {allocationId} named by the pod does not exist in this region and account",
                "check pod-eip-instanceid; eip-cni never creates a user-specified EIP");
        rec = Journal.Write(rec with { Origin = EipOrigin.UserSpecified, AllocationId = allocationId, EipAddress = eip.IpAddress, Phase = AttachmentPhase.Allocated });

        if (EngineCore.IsBound(eip) && !EngineCore.IsOn(eip, eni.NetworkInterfaceId, podIp, eni.PrimaryIp))
        {
            if (!Call.AllowRob)
                throw new CniException(CniCode.EipHeldElsewhere, $"the EIP {allocationId} is bound to something else",
                    $"held by {EngineCore.Holder(eip)}; set allow_eip_rob to \"true\" in eni_conf to let pods take it over");
            var holder = EngineCore.Holder(eip);
            rec = Journal.Write(rec with { RobbedFrom = holder });
            Log.Write(LogLevel.Warn, "robbing a user-specified EIP", ("allocationId", allocationId), ("holder", holder));
            if (eip.State == EipStatus.Associating)
                eip = await _core.WaitForAsync(allocationId, e => e is null || e.State != EipStatus.Associating, ct).ConfigureAwait(false) ?? eip;
            try
            {
                await Svc.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(allocationId)
                {
                    InstanceId = eip.InstanceId,
                    InstanceType = eip.InstanceType,
                    PrivateIpAddress = string.IsNullOrEmpty(eip.PrivateIpAddress) ? null : eip.PrivateIpAddress,
                }, ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (e.Code is "IncorrectEipStatus")
            {
            }
            eip = await _core.WaitForAsync(allocationId, e => e is null || e.State == EipStatus.Available || (e.State == EipStatus.InUse && EngineCore.IsOn(e, eni.NetworkInterfaceId, podIp, eni.PrimaryIp)), ct).ConfigureAwait(false)
                ?? throw new CniException(CniCode.EipUnknown, $"the EIP {allocationId} disappeared while it was being taken over");
        }
        var bound = await BindAsync(rec, eip, eni, podIp, ct).ConfigureAwait(false);
        return (Journal.Read(rec.Key) ?? rec, bound);
    }

    /// <summary>Binds (unless already bound here) and waits for InUse. Never binds an EIP that is on another IP.</summary>
    private async Task<EipAddress> BindAsync(AttachmentRecord rec, EipAddress eip,
        EniBinding eni, string podIp, CancellationToken ct)
    {
        var id = eip.AllocationId;
        bool Mine(EipAddress e) => EngineCore.IsOn(e, eni.NetworkInterfaceId, podIp, eni.PrimaryIp);
        if (eip.State == EipStatus.InUse && Mine(eip)) return eip;
        if (eip.State == EipStatus.Unassociating)
            eip = await _core.WaitForAsync(id, e => e is null || e.State != EipStatus.Unassociating, ct).ConfigureAwait(false)
                ?? throw new CniException(CniCode.EipUnknown, $"the EIP {id} disappeared while binding");
        if (EngineCore.IsBound(eip) && !Mine(eip))
            throw new CniException(CniCode.EipHeldElsewhere, $"the EIP {id} is bound to something else", $"held by {EngineCore.Holder(eip)}");

        for (var tries = 0; eip.State != EipStatus.Associating; tries++)
        {
            // A retried ADD replays the association a killed one started (same target, same token); anything else is new.
            var token = ClientTokens.Associate(rec.ClusterId, rec.Network, rec.ContainerId, rec.IfName, id, eni.NetworkInterfaceId, podIp, rec.AssociateSeq);
            var seq = rec.AssociateToken == token ? rec.AssociateSeq : rec.AssociateSeq + 1;
            token = ClientTokens.Associate(rec.ClusterId, rec.Network, rec.ContainerId, rec.IfName, id, eni.NetworkInterfaceId, podIp, seq);
            // Written first: while the token is recorded, an association may land, and every undo replays it to find out.
            rec = Journal.Write(rec with { Phase = AttachmentPhase.Binding, AssociateSeq = seq, AssociateToken = token });
            try
            {
                await Svc.Eip.AssociateEipAddressAsync(new AssociateEipRequest(id, eni.NetworkInterfaceId, podIp) { ClientToken = token }, ct).ConfigureAwait(false);
                rec = Journal.Write(rec with { AssociateToken = null });
                break;
            }
            catch (CloudException e) when (e.Code == "InvalidAssociation.Duplicated" && tries == 0)
            {
                rec = Journal.Write(rec with { AssociateToken = null });
                if (!await ClearStaleHolderAsync(rec, eni, podIp, ct).ConfigureAwait(false)) throw;
            }
            catch (CloudException e) when (CloudErrorMapping.IsPermission(e.Code))
            {
                // This very call was refused before the cloud did anything (unlike a replay's refusal, which says
                // nothing about the first call): no association can land from it.
                Journal.Write(rec with { AssociateToken = null });
                throw;
            }
            catch (CloudException e)
            {
                // A lost answer, or a retry of a call that went through: the cloud's state decides.
                var now = await _core.DescribeAsync(id, ct).ConfigureAwait(false);
                if (now is not null && EngineCore.IsBound(now) && Mine(now))
                {
                    rec = Journal.Write(rec with { AssociateToken = null });
                    Log.Write(LogLevel.Info, "association already in place after an error", ("allocationId", id), ("code", e.Code));
                    break;
                }
                if (CloudErrorMapping.ProvesNotDone(e)) Journal.Write(rec with { AssociateToken = null }); // refused: nothing can land
                throw;
            }
        }
        var done = await _core.WaitForAsync(id, e => e is null || e.State == EipStatus.InUse || (EngineCore.IsBound(e) && !Mine(e)) || e.State == EipStatus.Available, ct).ConfigureAwait(false);
        if (done is null) throw new CniException(CniCode.EipUnknown, $"the EIP {id} disappeared while binding");
        if (done.State == EipStatus.InUse && Mine(done)) return done;
        if (EngineCore.IsBound(done)) throw new CniException(CniCode.EipHeldElsewhere, $"the EIP {id} was taken by something else while binding", $"held by {EngineCore.Holder(done)}");
        throw new CniException(CniCode.CloudRefused, $"the cloud dropped the association of {id}", $"status {done.Status} after AssociateEipAddress");
    }

    /// <summary>
    /// The pod's IP still carries another EIP. If it is one this plugin bound for an attachment that is finished or
    /// being given back (this cluster's ownership tags and no live journal record, or a user EIP whose record is being
    /// given back), it is left over from an earlier pod on this IP: unbind it and let the caller bind again. Never
    /// touches an EIP of a live attachment, another cluster, or a user EIP of a live pod. True when the IP is free now.
    /// </summary>
    private async Task<bool> ClearStaleHolderAsync(AttachmentRecord rec, EniBinding eni, string podIp, CancellationToken ct)
    {
        var onEni = await Svc.Eip.DescribeEipAddressesAsync(new EipQuery
        {
            AssociatedInstanceType = "NetworkInterface",
            AssociatedInstanceId = eni.NetworkInterfaceId,
        }, ct).ConfigureAwait(false);
        var holder = onEni.FirstOrDefault(e => e.AllocationId != rec.AllocationId && EngineCore.IsBound(e) && EngineCore.IsOn(e, eni.NetworkInterfaceId, podIp, eni.PrimaryIp));
        if (holder is null) return true; // it left meanwhile
        var owner = Journal.List().FirstOrDefault(r => r.AllocationId == holder.AllocationId && r.Key != rec.Key);
        var ours = holder.TagMap.GetValueOrDefault(OwnershipTags.Cluster) == OwnershipTags.Value(rec.ClusterId);
        var finishedOrPending = owner is null ? ours : owner.Phase == AttachmentPhase.Releasing;
        if (!finishedOrPending)
        {
            Log.Write(LogLevel.Warn, "the pod's IP carries an EIP this plugin may not touch", ("holder", holder.AllocationId), ("ip", podIp));
            return false;
        }
        Log.Write(LogLevel.Warn, "the pod's IP still carries an EIP of a finished attachment; unbinding it first",
            ("holder", holder.AllocationId), ("ip", podIp), ("owner", owner?.ContainerId ?? holder.TagMap.GetValueOrDefault(OwnershipTags.ContainerId)));
        var stale = new AttachmentRecord
        {
            Network = rec.Network, ContainerId = owner?.ContainerId ?? "stale", IfName = rec.IfName, ClusterId = rec.ClusterId,
            Origin = EipOrigin.UserSpecified, Phase = AttachmentPhase.Releasing, AllocationId = holder.AllocationId,
            NetworkInterfaceId = eni.NetworkInterfaceId, PrivateIp = podIp, EniPrimaryIp = eni.PrimaryIp,
        };
        // Only unbinds; the stand-in record carries no token, so nothing is written for it. Releasing stays with the
        // owner's record (a later DEL, GC or the sweep) or, without one, the agent's cluster sweep.
        await _core.EnsureUnboundAsync(stale, ct).ConfigureAwait(false);
        return true; // off the IP now: gone, free, or moved elsewhere
    }

    /// <summary>Annotations first (init containers wait on them), then the condition when the pod declares the readiness gate.</summary>
    private async Task WriteBackAsync(string ns, string name, EipAddress eip, EniBinding eni, PodView? pod, CancellationToken ct)
    {
        var patched = await Svc.Kube.PatchPodAnnotationsAsync(ns, name, new Dictionary<string, string?>
        {
            [EipAnnotationNames.AllocatedOld] = eip.IpAddress,
            [EipAnnotationNames.AllocatedNew] = eip.IpAddress,
        }, ct).ConfigureAwait(false);
        if ((pod ?? patched).HasReadinessGate(EngineCore.ConditionType) || patched.HasReadinessGate(EngineCore.ConditionType))
            await Svc.Kube.PatchPodConditionAsync(ns, name, EngineCore.ConditionType, "True", "EipBound",
                $"EIP {eip.IpAddress} ({eip.AllocationId}) bound to {eni.NetworkInterfaceId} {eip.PrivateIpAddress}", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Undoes a failed ADD with a budget of its own (delTimeoutSeconds; the ADD's may be spent), through the same path
    /// as DEL. What the cloud does not confirm stays recorded for the DEL the runtime sends after a failed ADD.
    /// </summary>
    private async Task RollbackAsync(AttachmentRecord rec)
    {
        var current = Journal.Read(rec.Key);
        if (current is null) return;
        if (current.AllocationId is null && current.ClientToken is null)
        {
            Journal.Delete(rec.Key); // no mutating call was sent
            return;
        }
        using var budget = new CancellationTokenSource(Call.DelBudget);
        var settled = await _core.SettleAsync(current, budget.Token).ConfigureAwait(false);
        if (settled.State != SettleState.Done)
            Log.Write(LogLevel.Error, "rollback incomplete; the runtime's DEL finishes it", ("allocationId", current.AllocationId),
                ("state", settled.State.ToString()), ("error", settled.Cause is null ? null : EngineCore.ErrorText(settled.Cause)));
    }

    private async Task<EipAddress?> FindRetainedAsync(string clusterId, AttachmentRecord rec, CancellationToken ct)
    {
        var found = await Svc.Eip.DescribeEipAddressesAsync(new EipQuery
        {
            Tags = [new(OwnershipTags.Cluster, OwnershipTags.Value(clusterId)), new(OwnershipTags.Pod, OwnershipTags.Value($"{rec.PodNamespace}/{rec.PodName}"))],
        }, ct).ConfigureAwait(false);
        return found.Where(e => e.State != EipStatus.Releasing && e.TagMap.GetValueOrDefault(OwnershipTags.Retained) == "true")
            .OrderBy(e => e.AllocationId, StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>A kept EIP taken over by a new sandbox is no longer the old sandbox's to release.</summary>
    private void ForgetRetainedRecords(AttachmentRecord taker)
    {
        foreach (var old in Journal.List())
            if (old.Phase == AttachmentPhase.Retained && old.AllocationId == taker.AllocationId && old.Key != taker.Key)
            {
                Journal.Delete(old.Key);
                Log.Write(LogLevel.Info, "kept EIP taken over by a new sandbox", ("allocationId", taker.AllocationId), ("from", old.ContainerId));
            }
    }
}

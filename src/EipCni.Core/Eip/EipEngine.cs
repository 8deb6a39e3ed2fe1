using System.Diagnostics;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Kube;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// The EIP workflows behind ADD, DEL, CHECK and GC. Every mutating cloud call is preceded by a journal write, so a
/// crash at any point leaves a record that the next ADD, DEL or GC of the attachment converges from.
/// </summary>
public sealed partial class EipEngine : IEipEngine
{
    public const string ConditionType = "k8s.aliyun.com/eip";
    private static readonly TimeSpan RollbackBudget = TimeSpan.FromSeconds(30);

    private readonly EipServices _svc;

    public EipEngine(EipServices services) => _svc = services;

    private static AttachmentKey KeyOf(AttachmentContext ctx) => new(ctx.Conf.Name, ctx.Invocation.ContainerId, ctx.Invocation.IfName);

    private static Journal JournalOf(AttachmentContext ctx) => new(ctx.Conf.StateDir, ctx.Conf.Name);

    /// <summary>
    /// Holds the attachment for the whole verb. When the budget ends while another call of the same attachment (a
    /// racing ADD, a DEL during a slow ADD) still holds it, that is "try again later" (11), not an internal error (999):
    /// the runtime retries, and the holder finishes or undoes its own work meanwhile.
    /// </summary>
    private static async Task<IDisposable> LockAsync(Journal journal, AttachmentKey key, CancellationToken ct)
    {
        try
        {
            return await journal.LockAttachmentAsync(key, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            throw new CniException(CniCode.TryAgainLater, "another eip-cni call for this pod's attachment is still running",
                $"{key.FileStem} of network {key.Network} stayed locked for the whole budget", e);
        }
    }

    private static string? ClusterIdOf(AttachmentContext ctx) => ctx.Conf.ClusterId ?? NetConf.ClusterIdOrNull(ctx.EniConf.ClusterId, "eni_conf.cluster_id");

    private async Task<EipAddress?> DescribeAsync(string allocationId, CancellationToken ct)
    {
        var list = await _svc.Eip.DescribeEipAddressesAsync(new EipQuery { AllocationIds = [allocationId] }, ct).ConfigureAwait(false);
        return list.FirstOrDefault(e => e.AllocationId == allocationId);
    }

    /// <summary>Bound (or binding) to exactly this ENI and IP? A binding to the ENI's primary IP reads back with an empty PrivateIpAddress.</summary>
    internal static bool IsOn(EipAddress eip, string eniId, string ip, string? eniPrimaryIp) =>
        eip.InstanceId == eniId &&
        (eip.PrivateIpAddress == ip || (string.IsNullOrEmpty(eip.PrivateIpAddress) && (eniPrimaryIp is null || ip == eniPrimaryIp)));

    private static bool IsBound(EipAddress eip) => eip.Status is "InUse" or "Associating";

    private static string Holder(EipAddress eip) =>
        $"{eip.InstanceType} {eip.InstanceId}" + (string.IsNullOrEmpty(eip.PrivateIpAddress) ? " (primary IP)" : $" {eip.PrivateIpAddress}") + $", status {eip.Status}";

    /// <summary>
    /// Polls until <paramref name="done"/> holds. The interval grows with the time already waited (a tenth of it,
    /// 100 ms to 2 s) and polls are scheduled on the clock, not after each answer, so the call's own latency does not
    /// stretch them: a quick association is seen within ~100 ms, a slow one costs few calls (the account's
    /// DescribeEipAddresses quota is shared by every node), and the overshoot stays near 10%. No fixed sleeps; the
    /// budget bounds everything.
    /// </summary>
    private async Task<EipAddress?> WaitForAsync(string allocationId, Func<EipAddress?, bool> done, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        while (true)
        {
            next += TimeSpan.FromMilliseconds(Math.Clamp(next.TotalMilliseconds / 10, 100, 2000));
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _svc.Time, ct).ConfigureAwait(false);
            else ct.ThrowIfCancellationRequested();
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

    /// <summary>Unbinds only if the EIP is still on this ENI and IP (a robbed EIP is left alone); true if it is now unbound from us.</summary>
    private async Task<bool> GuardedUnbindAsync(string allocationId, string eniId, string ip, string? eniPrimaryIp, bool waitAvailable, ILog log, CancellationToken ct)
    {
        var eip = await DescribeAsync(allocationId, ct).ConfigureAwait(false);
        if (eip is null) return true;
        if (eip.Status == "Associating" && IsOn(eip, eniId, ip, eniPrimaryIp))
            eip = await WaitForAsync(allocationId, e => e is null || e.Status != "Associating", ct).ConfigureAwait(false);
        if (eip is null) return true;
        if (eip.Status == "InUse" && IsOn(eip, eniId, ip, eniPrimaryIp))
        {
            try
            {
                await _svc.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(allocationId)
                {
                    InstanceId = eniId,
                    InstanceType = "NetworkInterface",
                    PrivateIpAddress = string.IsNullOrEmpty(eip.PrivateIpAddress) ? null : ip,
                }, ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (CloudErrorMapping.IsNotFound(e))
            {
                return true;
            }
            catch (CloudException e) when (e.Code is "IncorrectEipStatus" or "InvalidBindingStatus")
            {
                // Someone moved it meanwhile, or it is already unbinding: look again below.
                log.Write(LogLevel.Info, "unbind raced with another change", ("allocationId", allocationId), ("code", e.Code));
            }
        }
        else if (IsBound(eip) && !IsOn(eip, eniId, ip, eniPrimaryIp))
        {
            log.Write(LogLevel.Warn, "EIP is bound elsewhere (robbed); leaving that binding alone", ("allocationId", allocationId), ("holder", Holder(eip)));
            return false;
        }
        if (!waitAvailable) return true;
        var after = await WaitForAsync(allocationId, e => e is null || e.Status is "Available" or "Releasing" || (IsBound(e) && !IsOn(e, eniId, ip, eniPrimaryIp)), ct).ConfigureAwait(false);
        return after is null || !IsBound(after);
    }

    /// <summary>Leaves the bandwidth package (if it joined one), then releases. NotFound counts as done.</summary>
    private async Task ReleaseAsync(AttachmentRecord rec, CancellationToken ct)
    {
        if (rec.AllocationId is not { } id) return;
        if (rec.InBandwidthPackage && rec.BandwidthPackageId is { } pkg)
        {
            try
            {
                await _svc.Eip.RemoveCommonBandwidthPackageIpAsync(pkg, id, null, ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (e.Code is "OperationUnsupported.IpNotInCbwp" || CloudErrorMapping.IsNotFound(e))
            {
            }
        }
        try
        {
            await _svc.Eip.ReleaseEipAddressAsync(id, ct).ConfigureAwait(false);
        }
        catch (CloudException e) when (CloudErrorMapping.IsNotFound(e))
        {
        }
        catch (CloudException e) when (e.Code == "IncorrectEipStatus")
        {
            // Already releasing (a retry after a lost answer), or still bound: look before deciding.
            var eip = await DescribeAsync(id, ct).ConfigureAwait(false);
            if (eip is null || eip.Status == "Releasing") return;
            throw;
        }
    }

    /// <summary>Best effort: an event that cannot be posted is logged, never fails the verb.</summary>
    private async Task PostEventAsync(AttachmentContext ctx, PodEventType type, string reason, string message, CancellationToken ct)
    {
        var args = ctx.Invocation.Args;
        if (args.PodNamespace is not { } ns || args.PodName is not { } name) return;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            await _svc.Kube.CreateEventAsync(new PodEvent(ns, name, args.PodUid, type, reason, message), cts.Token).ConfigureAwait(false);
        }
        // CniException: an unusable kubeconfig surfaces from the lazily built client; it must not replace the verb's own error.
        catch (Exception e) when (e is KubeException or KubeconfigException or CniException or OperationCanceledException or IOException)
        {
            ctx.Log.Write(LogLevel.Warn, "cannot post the pod event", ("reason", reason), ("error", e.Message));
        }
    }

    /// <summary>The pod's annotations: from the runtime when it passed them (no API call), else from the API server.</summary>
    private async Task<(IReadOnlyDictionary<string, string>? Annotations, PodView? Pod)> AnnotationsAsync(AttachmentContext ctx, CancellationToken ct)
    {
        if (ctx.Conf.PodAnnotations is { } given) return (given, null);
        var args = ctx.Invocation.Args;
        if (args.PodNamespace is not { } ns || args.PodName is not { } name) return (null, null);
        var pod = await GetPodAsync(ns, name, ct).ConfigureAwait(false);
        return (pod.Annotations, pod);
    }

    private async Task<PodView> GetPodAsync(string ns, string name, CancellationToken ct)
    {
        try
        {
            return await _svc.Kube.GetPodAsync(ns, name, ct).ConfigureAwait(false);
        }
        catch (KubeException e)
        {
            throw new CniException(e.IsTransient ? CniCode.TryAgainLater : CniCode.KubeWriteBackFailed,
                $"cannot read pod {ns}/{name} from the API server", e.Message, e);
        }
        catch (KubeconfigException e)
        {
            throw new CniException(CniCode.InvalidConfig, "the kubeconfig of eip-cni is unusable", e.Message, e);
        }
    }
}

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
    /// <summary>How long a successful ADD waits, at its end, for best-effort events still in flight: they must never slow a pod down.</summary>
    private static readonly TimeSpan EventGrace = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// A failing ADD waits longer for its Warning event: it is how the operator learns why the pod does not start, the
    /// pod is not starting anyway, and a fresh process needs about 100 ms for the API server's TLS handshake.
    /// </summary>
    private static readonly TimeSpan FailureEventGrace = TimeSpan.FromSeconds(1);

    private readonly EipServices _svc;
    private readonly List<Task> _events = [];

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

    /// <summary>
    /// Posts an event in the background, overlapping whatever the verb does next; <see cref="DrainEventsAsync"/> gives
    /// the ones still in flight a short grace at the end. An API server that is slow to accept events never delays ADD
    /// by more than that grace.
    /// </summary>
    private void FireEvent(AttachmentContext ctx, PodEventType type, string reason, string message) =>
        _events.Add(Task.Run(() => PostEventAsync(ctx, type, reason, message, CancellationToken.None), CancellationToken.None));

    private async Task DrainEventsAsync(bool failing = false)
    {
        if (_events.Count == 0) return;
        var all = Task.WhenAll(_events);
        await Task.WhenAny(all, Task.Delay(failing ? FailureEventGrace : EventGrace, _svc.Time)).ConfigureAwait(false);
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

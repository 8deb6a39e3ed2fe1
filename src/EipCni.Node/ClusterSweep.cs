using System.Diagnostics;
using System.Globalization;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// The elected leader's sweep of this cluster's EIPs: those whose pod is gone (release strategy Follow), kept EIPs whose
/// time is over, and EIPs left by nodes that no longer exist — what no DEL and no node GC will ever give back. Lists
/// the EIPs carrying this cluster's ownership tag page by page at a gentle pace, judges each against the pods and
/// nodes the API server shows (<see cref="Judge"/>), then acts through the engine's guarded steps (<see cref="EipReclaim"/>).
/// </summary>
/// <remarks>
/// Never touched: an EIP without this cluster's tag or without the tags eip-cni sets when it creates one (a user's
/// own), an EIP a live pod names in <c>pod-eip-instanceid</c>, an EIP bound to a live pod's IP, a live pod's EIP, a kept
/// EIP before its time. The EIPs are listed before the pods: an EIP is created by its pod's ADD, so its pod is in any
/// later list while it exists. Before acting, each EIP is described again; one whose tags or binding changed since it
/// was listed waits for the next pass.
/// </remarks>
public sealed class ClusterSweep
{
    /// <summary>EIPs looked up per call before acting: the freshness of a look-up is spent while the chunk is worked through.</summary>
    private const int LookupChunk = 20;

    private readonly ClusterSweepOptions _options;
    private readonly IKubePods _kube;
    private readonly ILog _log;
    private readonly NodeMetrics? _metrics;
    private readonly INetworkInterfaceLookup? _enis;
    private readonly TimeProvider _time;
    private readonly CloudPace _pace;
    private readonly PacedEipCloud _cloud;
    private readonly EipReclaim _reclaim;
    private readonly OrphanMemory _memory;

    /// <param name="services">The cloud and the API server (its time too); the sweep paces its own use of the cloud.</param>
    /// <param name="enis">Resolves the primary IP of an ENI an EIP is bound to without a private IP; null: such bindings are kept.</param>
    public ClusterSweep(ClusterSweepOptions options, EipServices services, ILog log, NodeMetrics? metrics = null, INetworkInterfaceLookup? enis = null)
    {
        _options = options;
        _kube = services.Kube;
        _log = log;
        _metrics = metrics;
        _enis = enis;
        _time = services.Time;
        _pace = new CloudPace(options.DescribesPerMinute, options.MutationsPerMinute, _time);
        _cloud = new PacedEipCloud(services.Eip, _pace);
        var paced = new EipServices(() => _cloud, () => services.Enis, () => services.Kube, _time, services.NodeName);
        _reclaim = new EipReclaim(paced, options.ClusterId, options.StateDir ?? Path.GetTempPath(), log);
        _memory = OrphanMemory.Load(options.MemoryFile, log);
    }

    /// <summary>
    /// Told of every failed cloud attempt of this process (the cloud client retries a throttled call by itself; the
    /// sweep's next calls wait too).
    /// </summary>
    public void AttemptFailed(CloudException e)
    {
        if (e.IsThrottling) _pace.Throttled(e.Action, e.RetryAfter);
    }

    /// <summary>When the last pass ended (null before the first).</summary>
    public DateTimeOffset? LastPassAt { get; private set; }

    /// <summary>
    /// The leader callback: a pass at once, then one every <see cref="ClusterSweepOptions.Interval"/>, until
    /// <paramref name="leadership"/> ends (leadership lost, or the agent stopping).
    /// </summary>
    public async Task LeadAsync(CancellationToken leadership)
    {
        while (!leadership.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(dryRun: false, leadership).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (leadership.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _metrics?.SweepPasses.Inc("failed");
                _log.Write(LogLevel.Error, "cluster sweep pass failed; the next one starts afresh", ("error", e.Message), ("type", e.GetType().Name));
            }
            if (!await Pause.ForAsync(_options.Interval, _time, leadership).ConfigureAwait(false)) return;
        }
    }

    /// <summary>One pass. A dry run judges and reports every EIP but changes nothing, not even the orphan memory.</summary>
    public async Task<SweepReport> RunOnceAsync(bool dryRun, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var (describes, mutations) = (_cloud.Describes, _cloud.Mutations);
        var eips = await ListEipsAsync(ct).ConfigureAwait(false);

        LivePods? pods = null;
        HashSet<string>? nodes = null;
        string? apiError = null;
        try
        {
            pods = new LivePods(await _kube.ListPodsAsync(null, ct).ConfigureAwait(false));
            nodes = (await _kube.ListNodeNamesAsync(ct).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is KubeException or KubeconfigException or CniException or IOException)
        {
            apiError = e.Message;
            pods = null;
            _log.Write(LogLevel.Warn, "cluster sweep: cannot list pods and nodes; only expired kept EIPs are judged", ("error", e.Message));
        }

        var primaryIps = await PrimaryIpsAsync(eips, ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var verdicts = new List<SweepVerdict>();
        var orphaned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var eip in eips)
        {
            var verdict = Judge(eip, pods, nodes, primaryIps, now);
            if (verdict.Why == NodeGone)
            {
                // Two passes at least the grace apart must agree before an orphan of a gone node is touched.
                orphaned.Add(eip.AllocationId);
                var since = _memory.FirstSeen(eip.AllocationId, now);
                if (now - since < _options.Grace)
                    verdict = verdict with
                    {
                        Decision = SweepDecision.Wait,
                        Reason = $"{verdict.Reason}; orphaned since {Time(since)}, acted on from {Time(since + _options.Grace)}",
                    };
            }
            verdicts.Add(verdict);
        }
        if (pods is not null) _memory.KeepOnly(orphaned); // unjudged (API down): what was remembered stays
        if (!dryRun)
        {
            SaveMemory();
            verdicts = await ActAsync(verdicts, ct).ConfigureAwait(false);
        }

        var report = new SweepReport(verdicts, dryRun, apiError, _cloud.Describes - describes, _cloud.Mutations - mutations, clock.Elapsed);
        if (!dryRun) _metrics?.SweepPasses.Inc(apiError is null ? "ok" : "api_unreachable");
        _log.Write(report.Failed > 0 || apiError is not null ? LogLevel.Warn : LogLevel.Info, report.ToString());
        LastPassAt = _time.GetUtcNow();
        return report;
    }

    /// <summary>The memory file is a convenience: without it a restarted agent only waits the grace period again.</summary>
    private void SaveMemory()
    {
        try
        {
            _memory.Save();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Write(LogLevel.Warn, "cluster sweep: cannot save the orphan memory; it is kept in memory", ("path", _options.MemoryFile), ("error", e.Message));
        }
    }

    /// <summary>This cluster's EIPs, one paced page at a time; a throttled page is asked again once the pace allows.</summary>
    private async Task<List<EipAddress>> ListEipsAsync(CancellationToken ct)
    {
        var cluster = OwnershipTags.Value(_options.ClusterId);
        var query = new EipQuery { Tags = [new(OwnershipTags.Cluster, cluster)] };
        var found = new Dictionary<string, EipAddress>(StringComparer.Ordinal);
        for (var page = 1; ; page++)
        {
            if (page > _options.MaxPages)
            {
                _log.Write(LogLevel.Warn, "cluster sweep: the listing is cut short; the rest waits for later passes", ("pages", _options.MaxPages));
                break;
            }
            var answer = await PageAsync(query, page, ct).ConfigureAwait(false);
            // The filter is the cloud's; the tag is checked here too. A page may repeat an EIP that moved up a page.
            foreach (var eip in answer.Items.Where(e => e.TagMap.GetValueOrDefault(OwnershipTags.Cluster) == cluster))
                found[eip.AllocationId] = eip;
            if (!answer.HasMore) break;
        }
        return found.Values.OrderBy(e => e.AllocationId, StringComparer.Ordinal).ToList();
    }

    private async Task<EipPage> PageAsync(EipQuery query, int page, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _cloud.DescribeEipAddressesPageAsync(query, page, ct).ConfigureAwait(false);
            }
            catch (CloudException e) when (e.IsThrottling && attempt < 5)
            {
                // The pace now holds the next describe back for as long as the cloud asked.
                _log.Write(LogLevel.Info, "cluster sweep: listing throttled; slowing down", ("page", page), ("requestId", e.RequestId));
            }
        }
    }

    private const string PodGone = "pod_gone";
    private const string KeptExpired = "kept_expired";
    private const string NodeGone = "node_gone";

    /// <summary>
    /// What to do with one listed EIP. Without the API server's pods and nodes (<paramref name="pods"/> null) only a
    /// kept EIP whose time is over can be judged: that needs no more than its tags and the clock.
    /// </summary>
    private SweepVerdict Judge(EipAddress eip, LivePods? pods, HashSet<string>? nodes, IReadOnlyDictionary<string, string> primaryIps, DateTimeOffset now)
    {
        var tags = eip.TagMap;
        var podName = tags.GetValueOrDefault(OwnershipTags.Pod) ?? "";
        var nodeName = tags.GetValueOrDefault(OwnershipTags.Node) ?? "";
        SweepVerdict Keep(string reason) => new(eip, podName, nodeName, SweepDecision.Keep, reason);

        if (tags.GetValueOrDefault(OwnershipTags.Cluster) != OwnershipTags.Value(_options.ClusterId)) return Keep("not this cluster's");
        if (!tags.ContainsKey(OwnershipTags.ContainerId) || !tags.ContainsKey(OwnershipTags.ReleaseStrategy) || !tags.ContainsKey(OwnershipTags.Pod))
            return Keep("lacks the tags eip-cni sets when it creates an EIP: not eip-cni's to give back");
        if (pods?.Naming(eip.AllocationId) is { } namer) return Keep($"named by pod {namer.Namespace}/{namer.Name} (pod-eip-instanceid): a user-specified EIP");
        if (eip.State is EipStatus.Associating or EipStatus.Unassociating or EipStatus.Releasing or EipStatus.Unknown)
            return Keep($"in transition ({eip.Status}); judged again next pass");

        var bound = !string.IsNullOrEmpty(eip.InstanceId);
        string? boundIp = !bound ? null
            : !string.IsNullOrEmpty(eip.PrivateIpAddress) ? eip.PrivateIpAddress
            : primaryIps.GetValueOrDefault(eip.InstanceId!);
        if (bound && boundIp is null) return Keep($"bound to the primary IP of {eip.InstanceId}, which could not be resolved; which pod holds it is not known");
        // A pod counts as live where its node does (or before it is scheduled); without the lists, every pod does.
        bool Live(PodView p) => nodes is null || p.NodeName is null || nodes.Contains(p.NodeName);
        if (bound && pods?.ByIp(boundIp!).FirstOrDefault(Live) is { } holder)
            return Keep($"bound to {boundIp}, the IP of live pod {holder.Namespace}/{holder.Name}");

        if (!ReleaseStrategy.TryParse(tags.GetValueOrDefault(OwnershipTags.ReleaseStrategy), out var strategy, out _))
            return Keep($"unreadable release strategy \"{tags.GetValueOrDefault(OwnershipTags.ReleaseStrategy)}\"");

        if (tags.GetValueOrDefault(OwnershipTags.Retained) == "true")
        {
            if (bound) return Keep("a kept EIP bound again: a new sandbox of its pod is taking it");
            var after = tags.GetValueOrDefault(OwnershipTags.ReleaseAfter) ?? "";
            if (after.Length == 0) return Keep("kept for its pod identity (release strategy Never)");
            if (!DateTimeOffset.TryParse(after, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var until))
                return Keep($"kept, with an unreadable release-after \"{after}\"");
            if (until > now) return Keep($"kept for its pod identity until {Time(until)}");
            return new SweepVerdict(eip, podName, nodeName, SweepDecision.Release, $"kept until {Time(until)}, which is over") { Why = KeptExpired };
        }
        if (pods is null || nodes is null) return Keep("the API server cannot be read: only expired kept EIPs are judged");

        var podUid = tags.GetValueOrDefault(OwnershipTags.PodUid) ?? "";
        var pod = podUid.Length > 0 ? pods.ByUid(podUid) : pods.ByName(podName).FirstOrDefault();
        var who = $"pod {podName}" + (podUid.Length > 0 ? $" ({podUid})" : "");
        if (pod is not null && Live(pod))
            return Keep($"{who} is live" + (pod.NodeName is null ? "" : $" on {pod.NodeName}"));
        if (pod is null && strategy.Kind == ReleaseKind.Follow)
            return new SweepVerdict(eip, podName, nodeName, SweepDecision.Release, $"{who} is gone; release strategy Follow")
            { Why = PodGone, Unbind = bound };

        // Left on a node that is gone: its pod object lingers there, or its pod keeps its EIP after it is gone.
        var lostNode = pod?.NodeName ?? nodeName;
        if (nodes.Contains(lostNode))
            return Keep($"{who} is gone; kept for its pod identity (release strategy {strategy}): its node's DEL or GC marks it kept");
        if (pods.ByName(podName).FirstOrDefault(p => p.Uid != podUid && p.NodeName is not null && Live(p)) is { } back)
            return Keep($"{who} reappeared on {back.NodeName}");
        var what = pod is null ? $"{who} is gone" : $"{who} lingers";
        return new SweepVerdict(eip, podName, nodeName,
            strategy.Kind == ReleaseKind.Follow ? SweepDecision.Release : SweepDecision.Retain,
            $"node {lostNode} no longer exists; {what}; release strategy {strategy}")
        { Why = NodeGone, Unbind = bound, Strategy = strategy };
    }

    /// <summary>The primary IP of every ENI an EIP is bound to without a private IP (a binding to the ENI's primary IP reads so).</summary>
    private async Task<IReadOnlyDictionary<string, string>> PrimaryIpsAsync(List<EipAddress> eips, CancellationToken ct)
    {
        var enis = eips.Where(e => !string.IsNullOrEmpty(e.InstanceId) && string.IsNullOrEmpty(e.PrivateIpAddress))
            .Select(e => e.InstanceId!).Distinct(StringComparer.Ordinal).ToList();
        var ips = new Dictionary<string, string>(StringComparer.Ordinal);
        if (enis.Count == 0 || _enis is null) return ips;
        try
        {
            foreach (var chunk in enis.Chunk(100))
                foreach (var eni in await _enis.DescribeNetworkInterfacesAsync(new NetworkInterfaceQuery { NetworkInterfaceIds = chunk }, ct).ConfigureAwait(false))
                    if (!string.IsNullOrEmpty(eni.PrivateIpAddress)) ips[eni.NetworkInterfaceId] = eni.PrivateIpAddress;
        }
        catch (CloudException e)
        {
            _log.Write(LogLevel.Warn, "cluster sweep: cannot resolve ENI primary IPs; EIPs bound to them are kept", ("error", CloudErrorMapping.Describe(e)));
        }
        return ips;
    }

    /// <summary>Acts on the verdicts to release or keep, a look-up of up to 20 at a time first.</summary>
    private async Task<List<SweepVerdict>> ActAsync(List<SweepVerdict> verdicts, CancellationToken ct)
    {
        var due = verdicts.Where(v => v.Decision is SweepDecision.Release or SweepDecision.Retain).ToList();
        var done = new Dictionary<string, SweepVerdict>(StringComparer.Ordinal);
        foreach (var chunk in due.Chunk(LookupChunk))
        {
            IReadOnlyDictionary<string, EipAddress> fresh;
            try
            {
                fresh = (await _cloud.DescribeEipAddressesAsync(new EipQuery { AllocationIds = chunk.Select(v => v.Eip.AllocationId).ToList() }, ct)
                    .ConfigureAwait(false)).ToDictionary(e => e.AllocationId, StringComparer.Ordinal);
            }
            catch (CloudException e)
            {
                foreach (var v in chunk) done[v.Eip.AllocationId] = Failed(v, e);
                continue;
            }
            foreach (var v in chunk) done[v.Eip.AllocationId] = await ActAsync(v, fresh.GetValueOrDefault(v.Eip.AllocationId), ct).ConfigureAwait(false);
        }
        return verdicts.Select(v => done.GetValueOrDefault(v.Eip.AllocationId) ?? v).ToList();
    }

    private async Task<SweepVerdict> ActAsync(SweepVerdict v, EipAddress? fresh, CancellationToken ct)
    {
        var id = v.Eip.AllocationId;
        if (fresh is null || fresh.State == EipStatus.Releasing) return v with { Outcome = SweepOutcomes.Gone };
        if (!SameOwnership(v.Eip, fresh)) return v with { Outcome = SweepOutcomes.SkippedPrefix + "its tags changed since it was listed" };
        if (!SameBinding(v.Eip, fresh)) return v with { Outcome = SweepOutcomes.SkippedPrefix + "its binding changed since it was listed" };
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.ActionBudget);
        try
        {
            if (v.Unbind)
            {
                switch (await _reclaim.UnbindAsync(v.Eip, budget.Token).ConfigureAwait(false))
                {
                    case Unbinding.Gone: return v with { Outcome = SweepOutcomes.Gone };
                    case Unbinding.Elsewhere: return v with { Outcome = SweepOutcomes.SkippedPrefix + "bound elsewhere meanwhile" };
                    case Unbinding.NotOurs: return v with { Outcome = SweepOutcomes.SkippedPrefix + "its container tag changed meanwhile" };
                }
            }
            if (v.Decision == SweepDecision.Retain)
            {
                var after = await _reclaim.KeepAsync(id, v.Strategy, budget.Token).ConfigureAwait(false);
                _metrics?.SweepKept.Inc();
                _log.Write(LogLevel.Info, "cluster sweep: kept an EIP of a gone node for its pod identity", ("allocationId", id), ("pod", v.Pod), ("reason", v.Reason));
                return v with { Outcome = after is { } t ? $"{SweepOutcomes.KeptPrefix} until {Time(t)}" : $"{SweepOutcomes.KeptPrefix} (release strategy Never)" };
            }
            if (!await _reclaim.ReleaseAsync(fresh, budget.Token).ConfigureAwait(false))
                return v with { Outcome = SweepOutcomes.SkippedPrefix + "bound again meanwhile" };
            _metrics?.SweepReleases.Inc(v.Why ?? PodGone);
            _log.Write(LogLevel.Info, "cluster sweep: released an EIP", ("allocationId", id), ("ip", v.Eip.IpAddress), ("pod", v.Pod), ("reason", v.Reason));
            return v with { Outcome = SweepOutcomes.Released };
        }
        catch (Exception e) when (e is CloudException || e is OperationCanceledException && !ct.IsCancellationRequested)
        {
            return Failed(v, e);
        }
    }

    private SweepVerdict Failed(SweepVerdict v, Exception e)
    {
        _metrics?.SweepFailures.Inc();
        var why = CloudErrorMapping.Describe(e);
        _log.Write(LogLevel.Warn, "cluster sweep: not given back this pass", ("allocationId", v.Eip.AllocationId), ("error", why));
        return v with { Outcome = SweepOutcomes.FailedPrefix + why };
    }

    /// <summary>The tags a decision rests on are what they were when the EIP was listed (a new sandbox re-tags the EIP it takes).</summary>
    private static bool SameOwnership(EipAddress listed, EipAddress now)
    {
        string[] keys = [OwnershipTags.Cluster, OwnershipTags.ContainerId, OwnershipTags.PodUid, OwnershipTags.Pod, OwnershipTags.Retained, OwnershipTags.ReleaseAfter];
        var (a, b) = (listed.TagMap, now.TagMap);
        return keys.All(k => a.GetValueOrDefault(k) == b.GetValueOrDefault(k));
    }

    private static bool SameBinding(EipAddress listed, EipAddress now) =>
        listed.State == now.State && (listed.InstanceId ?? "") == (now.InstanceId ?? "") && (listed.PrivateIpAddress ?? "") == (now.PrivateIpAddress ?? "");

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}

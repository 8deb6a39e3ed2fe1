using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// The engine's guarded steps for an EIP known only by its ownership tags, with no journal record behind it: the
/// agent's cluster sweep gives back what crashed nodes and lost journals left. The same code as the settle path
/// (<see cref="EngineCore.EnsureUnboundAsync"/>, the release and the kept tags), driven by a stand-in record that
/// carries no ClientToken, so nothing is ever written to a journal for it.
/// </summary>
public sealed class EipReclaim
{
    private readonly EngineCore _core;
    private readonly string _clusterId;

    /// <param name="stateDir">Only where the stand-in's journal would be; nothing is read or written there.</param>
    public EipReclaim(EipServices services, string clusterId, string stateDir, ILog log)
    {
        _clusterId = clusterId;
        _core = new EngineCore(services, new EngineCall
        {
            Key = new AttachmentKey("cluster-sweep", "none", "none"),
            StateDir = stateDir,
            ClusterId = clusterId,
            Log = log,
        });
    }

    /// <summary>
    /// Unbinds the EIP from exactly the ENI and IP it was <paramref name="seen"/> on, and waits until the cloud shows it
    /// off: the cloud refuses the unbind if it moved meanwhile, and an EIP whose container tag changed since (a new
    /// sandbox took it) is not ours any more. Throws when the budget ends before the cloud confirms.
    /// </summary>
    public async Task<Unbinding> UnbindAsync(EipAddress seen, CancellationToken ct)
    {
        // An empty target would read as "on it" for any unbound answer: only a binding that was seen can be undone.
        if (string.IsNullOrEmpty(seen.InstanceId)) throw new ArgumentException("the EIP was not seen bound to anything", nameof(seen));
        var (where, _) = await _core.EnsureUnboundAsync(StandIn(seen), ct).ConfigureAwait(false);
        return where;
    }

    /// <summary>Leaves the bandwidth package it is in, then releases; false when it is bound to something after all.</summary>
    public async Task<bool> ReleaseAsync(EipAddress seen, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(seen.BandwidthPackageId))
            await _core.LeavePackageAsync(seen.BandwidthPackageId, seen.AllocationId, ct).ConfigureAwait(false);
        return await _core.ReleaseEipAsync(seen.AllocationId, NullIfEmpty(seen.BandwidthPackageId), ct).ConfigureAwait(false);
    }

    /// <summary>Keeps an unbound EIP for its pod identity, as DEL would have: <c>retained=true</c> and when it may be released.</summary>
    public Task<DateTimeOffset?> KeepAsync(string allocationId, ReleaseStrategy strategy, CancellationToken ct) =>
        _core.TagKeptAsync(allocationId, strategy, ct);

    private AttachmentRecord StandIn(EipAddress seen) => new()
    {
        Network = "cluster-sweep",
        ContainerId = seen.TagMap.GetValueOrDefault(OwnershipTags.ContainerId) ?? "",
        IfName = "none",
        ClusterId = _clusterId,
        Origin = EipOrigin.Automatic,
        Phase = AttachmentPhase.Releasing,
        AllocationId = seen.AllocationId,
        NetworkInterfaceId = seen.InstanceId ?? "",
        PrivateIp = seen.PrivateIpAddress ?? "",
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

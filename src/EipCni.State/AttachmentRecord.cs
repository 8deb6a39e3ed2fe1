using System.Text.Json.Serialization;

namespace EipCni.State;

/// <summary>The journal's record of one attachment. Contains no secret.</summary>
public sealed record AttachmentRecord
{
    public int Version { get; init; } = 1;
    public required string Network { get; init; }
    public required string ContainerId { get; init; }
    public required string IfName { get; init; }
    public required string ClusterId { get; init; }
    public string? PodNamespace { get; init; }
    public string? PodName { get; init; }
    public string? PodUid { get; init; }
    public required EipOrigin Origin { get; init; }
    public required AttachmentPhase Phase { get; init; }

    /// <summary>AllocateEipAddress ClientToken (automatic EIPs), derived from the key and <see cref="Generation"/>.</summary>
    public string? ClientToken { get; init; }

    /// <summary>Bumped when a previous allocation for this attachment is gone, so its token is never replayed.</summary>
    public int Generation { get; init; }

    public string? AllocationId { get; init; }
    public string? EipAddress { get; init; }
    public string? NetworkInterfaceId { get; init; }
    public string? PrivateIp { get; init; }
    /// <summary>The ENI's primary IP: the cloud reports a binding to it with an empty PrivateIpAddress.</summary>
    public string? EniPrimaryIp { get; init; }
    public string? BandwidthPackageId { get; init; }
    public bool InBandwidthPackage { get; init; }
    /// <summary>Follow, Never, or a Go duration.</summary>
    public string ReleaseStrategy { get; init; } = "Follow";
    public DateTimeOffset? ReleaseAfter { get; init; }
    /// <summary>
    /// The AllocateEipAddress request sent with <see cref="ClientToken"/>, kept so an allocation whose answer was lost
    /// can be replayed verbatim (the cloud answers a replayed token with what the first call created).
    /// </summary>
    public RecordedAllocation? AllocateRequest { get; init; }
    /// <summary>
    /// Set before AssociateEipAddress is sent and cleared once the cloud's answer is known: while set, an association
    /// may still land (a lost or late answer), so only replaying this token tells whether it did.
    /// </summary>
    public string? AssociateToken { get; init; }
    /// <summary>Counts associations started for this record, so each new one gets a fresh ClientToken.</summary>
    public int AssociateSeq { get; init; }
    /// <summary>The cloud confirmed that the EIP is no longer associated with the pod's IP; only its release may remain.</summary>
    public bool Unbound { get; init; }
    /// <summary>Failed attempts of the leftover sweep on this record, and when it may be tried again (per-record backoff).</summary>
    public int Attempts { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    /// <summary>The Warning event "still bound, DEL held" was posted once for this record (not once per retry).</summary>
    public bool HeldEventPosted { get; init; }
    /// <summary>What this ADD did that a rollback must undo (user EIPs: whether we robbed it).</summary>
    public string? RobbedFrom { get; init; }
    /// <summary>When the record entered <see cref="AttachmentPhase.Releasing"/> (null before; older records lack it): how long its giving back has been pending.</summary>
    public DateTimeOffset? ReleasingSince { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? LastError { get; init; }

    [JsonIgnore]
    public AttachmentKey Key => new(Network, ContainerId, IfName);
}

using System.Text.Json.Serialization;

namespace EipCni.State;

/// <summary>Where an attachment's EIP work stands; written before each mutating cloud call and after it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttachmentPhase>))]
public enum AttachmentPhase
{
    /// <summary>AllocateEipAddress is about to be (or was) sent with the record's ClientToken; no allocation ID known yet.</summary>
    Allocating,
    /// <summary>The EIP exists (allocation ID known), not yet bound.</summary>
    Allocated,
    /// <summary>AssociateEipAddress is about to be (or was) sent.</summary>
    Binding,
    /// <summary>The EIP is InUse on the recorded ENI and IP; ADD finished.</summary>
    Bound,
    /// <summary>DEL or a rollback is unbinding/releasing; if the cloud did not answer, GC finishes it.</summary>
    Releasing,
    /// <summary>Unbound and kept on purpose (release strategy Never or a TTL); GC releases it after <c>ReleaseAfter</c>.</summary>
    Retained,
}

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

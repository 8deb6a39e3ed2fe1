namespace EipCni.Eip;

/// <summary>Where a guarded unbind left the EIP.</summary>
public enum Unbinding
{
    /// <summary>Off the IP and not bound anywhere: free to release or keep.</summary>
    Free,

    /// <summary>The EIP no longer exists (or is being released).</summary>
    Gone,

    /// <summary>Bound to something else now: not ours to touch.</summary>
    Elsewhere,

    /// <summary>Its ownership tags are not the ones expected: left alone.</summary>
    NotOurs,
}

namespace EipCni.Cni;

/// <summary>What happens to a plugin-created EIP when its pod goes away.</summary>
public enum ReleaseKind
{
    /// <summary>Released together with the pod (DEL).</summary>
    Follow,
    /// <summary>Kept for the pod identity forever; only a user releases it.</summary>
    Never,
    /// <summary>Kept for <see cref="ReleaseStrategy.Ttl"/> after the pod is gone, then released by GC.</summary>
    Ttl,
}

namespace EipCni.Kube;

/// <summary>Lease access for the agent's leader election (one cluster-wide sweeper at a time).</summary>
public interface IKubeLeases
{
    /// <summary>The lease, or null when it does not exist.</summary>
    Task<LeaseRecord?> GetLeaseAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Creates the lease; throws <see cref="KubeException"/> with IsAlreadyExists when another holder was first.</summary>
    Task<LeaseRecord> CreateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken);

    /// <summary>Replaces the lease if its ResourceVersion is still current; throws <see cref="KubeException"/> with IsConflict otherwise.</summary>
    Task<LeaseRecord> UpdateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken);
}

namespace EipCni.Kube;

/// <summary>
/// Lease access for the agent's leader election (one cluster-wide sweeper at a time). A lost race is an answer (null), not
/// an exception: electors meet conflicts every time two of them try at once.
/// </summary>
public interface IKubeLeases
{
    /// <summary>The lease, or null when it does not exist.</summary>
    Task<LeaseRecord?> GetLeaseAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Creates the lease; null when it exists already (another elector was first).</summary>
    Task<LeaseRecord?> TryCreateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken);

    /// <summary>Replaces the lease if its ResourceVersion is still current; null when it is not (409 Conflict: read it again).</summary>
    Task<LeaseRecord?> TryUpdateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken);
}

namespace EipCni.Kube;

/// <summary>What the EIP engine needs from Kubernetes about its pod; a narrow seam so the engine is testable with a fake.</summary>
public interface IKubePods
{
    /// <summary>Reads the pod. Throws <see cref="KubeException"/> (IsNotFound for a missing pod).</summary>
    Task<PodView> GetPodAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Sets annotations with a JSON merge patch; a null value removes the annotation. Returns the pod after the patch.</summary>
    Task<PodView> PatchPodAnnotationsAsync(string ns, string name, IReadOnlyDictionary<string, string?> annotations, CancellationToken cancellationToken);

    /// <summary>Sets one status condition (strategic merge on pods/status; other conditions are kept). Status is True, False or Unknown.</summary>
    Task<PodView> PatchPodConditionAsync(string ns, string name, string type, string status, string reason, string message, CancellationToken cancellationToken);

    /// <summary>Records a core/v1 Event on the pod and returns its name.</summary>
    Task<string> CreateEventAsync(PodEvent podEvent, CancellationToken cancellationToken);
}

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

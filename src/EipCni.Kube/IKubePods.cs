namespace EipCni.Kube;

/// <summary>What the EIP engine (its pod) and the agent (the pods and nodes of the cluster) need from Kubernetes; a narrow seam for fakes.</summary>
public interface IKubePods
{
    /// <summary>Reads the pod. Throws <see cref="KubeException"/> (IsNotFound for a missing pod).</summary>
    Task<PodView> GetPodAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Sets annotations with a JSON merge patch; a null value removes the annotation. Returns the pod after the patch.</summary>
    Task<PodView> PatchPodAnnotationsAsync(string ns, string name, IReadOnlyDictionary<string, string?> annotations, CancellationToken cancellationToken);

    /// <summary>Sets one status condition (strategic merge on pods/status; other conditions are kept). Status is True, False or Unknown.</summary>
    Task<PodView> PatchPodConditionAsync(string ns, string name, string type, string status, string reason, string message, CancellationToken cancellationToken);

    /// <summary>
    /// Every pod, or every pod bound to <paramref name="nodeName"/> (fieldSelector <c>spec.nodeName</c>): read in pages,
    /// as one consistent snapshot of the API server's state (the agent's GC and sweep). Throws <see cref="KubeException"/>.
    /// </summary>
    Task<IReadOnlyList<PodView>> ListPodsAsync(string? nodeName, CancellationToken cancellationToken);

    /// <summary>The name of every Node object (the cluster sweep: is the node an EIP was bound on still there?).</summary>
    Task<IReadOnlyList<string>> ListNodeNamesAsync(CancellationToken cancellationToken);

    /// <summary>Records a core/v1 Event on the pod and returns its name.</summary>
    Task<string> CreateEventAsync(PodEvent podEvent, CancellationToken cancellationToken);
}

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

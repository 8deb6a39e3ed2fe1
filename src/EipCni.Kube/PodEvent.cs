namespace EipCni.Kube;

/// <summary>An Event to record on a pod. <paramref name="Reason"/> is a short UpperCamelCase word (EipBound, EipFailed).</summary>
public sealed record PodEvent(string Namespace, string PodName, string? PodUid, PodEventType Type, string Reason, string Message);

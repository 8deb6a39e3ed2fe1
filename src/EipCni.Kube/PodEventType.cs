namespace EipCni.Kube;

/// <summary>Severity of a Kubernetes Event.</summary>
public enum PodEventType { Normal, Warning }

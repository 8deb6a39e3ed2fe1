namespace EipCni.Node;

/// <summary>The input is not a pod manifest explain can read; the message says where and why.</summary>
public sealed class PodManifestException(string message) : Exception(message);

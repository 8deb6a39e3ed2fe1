namespace EipCni.Node;

/// <summary>The conf dir holds no usable eip-cni entry; the message says why.</summary>
public sealed class NodeChainException(string message) : Exception(message);

namespace EipCni.State;

/// <summary>Identity of one attachment, as CNI defines it: (network, container ID, interface). Never the pod name.</summary>
public sealed record AttachmentKey(string Network, string ContainerId, string IfName)
{
    /// <summary>File-name stem; '@' cannot appear in a container ID, so the split is unambiguous.</summary>
    public string FileStem => $"{ContainerId}@{IfName}";

    public override string ToString() => $"{Network}/{ContainerId}/{IfName}";
}

namespace EipCni.Node;

/// <summary>One thing install or uninstall changed on the node, said in one line for the operator.</summary>
public sealed record InstallChange(InstallChangeKind Kind, string Path, string Description)
{
    public override string ToString() => Description;
}

namespace EipCni.Node;

/// <summary>Where <see cref="ChainInstaller.Uninstall"/> removes eip-cni from: its entries, a converted <c>.conf</c>, its binaries.</summary>
public sealed record UninstallOptions
{
    public required string CniBinDir { get; init; }

    public required string CniConfDir { get; init; }
}

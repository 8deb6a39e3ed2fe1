namespace EipCni.Node;

/// <summary>What <see cref="ChainInstaller.Install"/> ensures: both binaries in the CNI bin dir, eip-cni last in the active config.</summary>
public sealed record InstallOptions
{
    /// <summary>The runtime's CNI bin directory (<c>/opt/cni/bin</c>; in the DaemonSet, its host mount).</summary>
    public required string CniBinDir { get; init; }

    /// <summary>The runtime's CNI config directory (<c>/etc/cni/net.d</c>).</summary>
    public required string CniConfDir { get; init; }

    /// <summary>
    /// A file holding a JSON object whose keys become the eip-cni entry (read on every install, so a changed ConfigMap is
    /// applied). Null: an entry already present keeps its keys; a new one has none but <c>type</c> and <c>capabilities</c>.
    /// </summary>
    public string? PluginConfigPath { get; init; }

    /// <summary>Written as the entry's <c>nodeName</c> (the Kubernetes node name, from the downward API); null: not touched.</summary>
    public string? NodeName { get; init; }

    /// <summary>Where <c>eip-cni</c> and <c>eip-cni-agent</c> are copied from: by default the running agent's own directory.</summary>
    public string SourceDir { get; init; } = AgentDirectory();

    /// <summary>The directory of the running executable (the image's, in the DaemonSet).</summary>
    public static string AgentDirectory() =>
        Path.GetDirectoryName(Environment.ProcessPath) ?? throw new InvalidOperationException("the agent's own path is unknown");
}

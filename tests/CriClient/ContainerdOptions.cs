namespace CriClient;

/// <summary>How <see cref="Containerd.StartAsync"/> sets up the private containerd; every member has a usable default.</summary>
public sealed record ContainerdOptions
{
    /// <summary>"overlayfs" or "native"; null probes an overlay mount in the harness directory and takes overlayfs when it works.</summary>
    public string? Snapshotter { get; init; }

    /// <summary>containerd's log level (its log is <see cref="Containerd.LogPath"/>).</summary>
    public string LogLevel { get; init; } = "info";

    /// <summary>How many conflists the CRI loads from the conf dir (the first ones by file name); kubelet setups use 1.</summary>
    public int CniMaxConfNum { get; init; } = 1;

    /// <summary>
    /// Start waits until the CRI reports NetworkReady (a CNI config loaded), as a kubelet waits before it runs pods;
    /// false for a test that installs the conflist after containerd is up.
    /// </summary>
    public bool RequireNetworkReady { get; init; } = true;

    /// <summary>Budget for containerd to boot and serve the CRI, and for the image import.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of each CRI call.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

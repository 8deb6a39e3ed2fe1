namespace EipCni.Node;

/// <summary>Where <see cref="EniConfSync"/> reads eni_conf and where it writes it.</summary>
public sealed record EniConfSyncOptions
{
    /// <summary>Terway's ConfigMap.</summary>
    public string Namespace { get; init; } = "kube-system";
    public string Name { get; init; } = "eni-config";
    public string Key { get; init; } = "eni_conf";

    /// <summary>The host path the plugin reads (its conflist's <c>eniConfPath</c>).</summary>
    public string Path { get; init; } = Cni.NetConf.DefaultEniConfPath;

    /// <summary>How often the file is compared with the ConfigMap even without a change (someone edited or removed it on the host).</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How soon a write that failed (a full disk, a read-only /etc) is tried again.</summary>
    public TimeSpan RetryAfterFailure { get; init; } = TimeSpan.FromSeconds(10);
}

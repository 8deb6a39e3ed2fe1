namespace EipCni.Node;

/// <summary>Where <see cref="PluginIdentity"/> writes the plugin's kubeconfig and token, and which service account and lifetime it asks for.</summary>
public sealed record PluginIdentityOptions
{
    /// <summary>The plugin's conflist key <c>kubeconfig</c> (its default).</summary>
    public string KubeconfigPath { get; init; } = Cni.NetConf.DefaultKubeconfig;

    /// <summary>The token file the kubeconfig names (<c>tokenFile</c>); the plugin reads it on every request.</summary>
    public string TokenPath { get; init; } = "/etc/cni/net.d/eip-cni.d/eip-cni.token";

    /// <summary>
    /// The token file's path as the plugin sees it, written into the kubeconfig, when the agent writes it through another
    /// mount (the DaemonSet sees the host's /etc/cni/net.d at /host/etc/cni/net.d); null: <see cref="TokenPath"/>.
    /// </summary>
    public string? TokenPathOnHost { get; init; }

    /// <summary>The plugin's own, minimal service account (conf/rbac.yaml), not the agent's.</summary>
    public string ServiceAccountNamespace { get; init; } = "kube-system";
    public string ServiceAccountName { get; init; } = "eip-cni-plugin";

    /// <summary>Asked of TokenRequest. The API server refuses less than 10 minutes and may cap it (--service-account-max-token-expiration).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>A token is replaced once this fraction of its lifetime has passed (kubelet's 80 %).</summary>
    public double RefreshFraction { get; init; } = 0.8;

    /// <summary>TokenRequest audiences; none: the API server's own (what the plugin authenticates to).</summary>
    public IReadOnlyList<string>? Audiences { get; init; }

    /// <summary>The API server address for the plugin when it should differ from the agent's (null: the agent's).</summary>
    public Uri? Server { get; init; }

    /// <summary>Backoff after a failed TokenRequest or write, from this...</summary>
    public TimeSpan InitialRetry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>...to this; the old token is kept (and used by the plugin) while it lasts.</summary>
    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromMinutes(1);
}

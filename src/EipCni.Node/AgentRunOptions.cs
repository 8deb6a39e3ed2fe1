namespace EipCni.Node;

/// <summary>What <c>eip-cni-agent run</c> is told (flags; defaults fit conf/daemonset.yaml).</summary>
public sealed record AgentRunOptions
{
    /// <summary>The CNI bin and conf dirs as this process sees them (the DaemonSet mounts the host's under /host).</summary>
    public required string CniBinDir { get; init; }
    public required string CniConfDir { get; init; }

    /// <summary>The host's own conf dir path, named inside files the plugin reads on the host (its kubeconfig's tokenFile).</summary>
    public string HostCniConfDir { get; init; } = "/etc/cni/net.d";

    /// <summary>The JSON object of eip-cni's entry (install's --plugin-config); also where the agent learns stateDir, eniConfPath, logFile.</summary>
    public string? PluginConfigPath { get; init; }

    /// <summary>The Kubernetes node name (downward API spec.nodeName).</summary>
    public required string NodeName { get; init; }

    /// <summary>This pod's name (POD_NAME), part of the Lease holder identity; null: the node name alone.</summary>
    public string? PodName { get; init; }

    /// <summary>The agent's own kubeconfig; null: the pod's service account (in-cluster).</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Where /metrics and /healthz are served (host:port or :port); null: not served.</summary>
    public string? MetricsAddress { get; init; } = ":9767";

    public string EniConfigNamespace { get; init; } = "kube-system";
    public string EniConfigName { get; init; } = "eni-config";

    /// <summary>Node GC's period.</summary>
    public TimeSpan GcInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an EIP must look orphaned before the cluster sweep releases it.</summary>
    public TimeSpan SweepGrace { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>False: this agent never runs for the cluster sweep's Lease (node GC still runs).</summary>
    public bool Sweep { get; init; } = true;

    public LogLevel LogLevel { get; init; } = LogLevel.Info;
}

using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// Builds the agent's node work from its config: the cloud clients (every failed attempt counted in the metrics), the
/// API server client, and over them the node GC and the cluster sweep. Nothing connects before it is used.
/// </summary>
public sealed class NodeComposition : IDisposable
{
    private readonly Lazy<CloudClients>? _cloud;
    private readonly Lazy<KubeClient>? _kube;
    private readonly INetworkInterfaceLookup? _enis;

    /// <param name="kubeconfig">The agent's own identity; null: the plugin's kubeconfig (it then needs list on pods and nodes).</param>
    /// <param name="kube">An API server client the caller keeps (and disposes): <c>run</c>'s own, shared by every pass.</param>
    public NodeComposition(AgentConfig config, ILog log, NodeMetrics? metrics = null, string? kubeconfig = null, TimeProvider? time = null, KubeClient? kube = null)
    {
        Config = config;
        Log = log;
        Metrics = metrics;
        var kubeconfigPath = kubeconfig ?? config.Plugin.Kubeconfig;
        var cloud = _cloud = new(() => EngineComposition.CreateCloud(config.Plugin, config.EniConf, log, AttemptFailed));
        _enis = new LazyEnis(cloud);
        // Only a client made here is this composition's to dispose.
        _kube = kube is null ? new(() => LoadKube(config, kubeconfigPath, log)) : null;
        var kubeClient = _kube ?? new Lazy<KubeClient>(() => kube!);
        Services = new EipServices(() => cloud.Value.Eip,
            () => new EniResolver(cloud.Value.Metadata, cloud.Value.NetworkInterfaces, config.Plugin.StateDir, log),
            () => kubeClient.Value, time, config.NodeName);
    }

    private static KubeClient LoadKube(AgentConfig config, string kubeconfigPath, ILog log)
    {
        try
        {
            return new KubeClient(Kubeconfig.Load(kubeconfigPath), log,
                new KubeClientOptions { NodeName = config.NodeName, Component = "eip-cni-agent", UserAgent = "eip-cni-agent" });
        }
        catch (KubeconfigException e)
        {
            throw CniErrors.FromKubeconfig(e, kubeconfigPath);
        }
    }

    /// <summary>Over services composed elsewhere (the tests' fakes); the sweep then has no ECS look-up of its own.</summary>
    public NodeComposition(AgentConfig config, EipServices services, ILog log, NodeMetrics? metrics = null)
    {
        Config = config;
        Log = log;
        Metrics = metrics;
        Services = services;
    }

    /// <summary>Every failed cloud attempt: counted, and told to the sweeps (a throttle slows their pace).</summary>
    private void AttemptFailed(CloudException e)
    {
        Metrics?.CloudAttemptFailed(e);
        Action<CloudException>[] sweeps;
        lock (_sweeps) sweeps = _sweeps.ToArray();
        foreach (var sweep in sweeps) sweep(e);
    }

    private readonly List<Action<CloudException>> _sweeps = [];

    public AgentConfig Config { get; }
    public ILog Log { get; }
    public NodeMetrics? Metrics { get; }
    public EipServices Services { get; }

    public NodeGc NodeGc() => new(new NodeGcOptions
    {
        StateDir = Config.Plugin.StateDir,
        ClusterId = Config.ClusterId,
        NodeName = Config.NodeName,
    }, Services, Log, Metrics);

    /// <summary>The sweep; <paramref name="options"/> may change anything but the cluster and the state dir, which come from the config.</summary>
    public ClusterSweep ClusterSweep(Func<ClusterSweepOptions, ClusterSweepOptions>? options = null)
    {
        var defaults = new ClusterSweepOptions { ClusterId = Config.ClusterId, StateDir = Config.Plugin.StateDir };
        var chosen = (options?.Invoke(defaults) ?? defaults) with { ClusterId = Config.ClusterId, StateDir = Config.Plugin.StateDir };
        var sweep = new ClusterSweep(chosen, Services, Log, Metrics, _enis);
        lock (_sweeps) _sweeps.Add(sweep.AttemptFailed);
        return sweep;
    }

    public void Dispose()
    {
        if (_cloud is { IsValueCreated: true }) _cloud.Value.Dispose();
        if (_kube is { IsValueCreated: true }) _kube.Value.Dispose();
    }

    /// <summary>ECS look-ups through clients built on first use.</summary>
    private sealed class LazyEnis(Lazy<CloudClients> cloud) : INetworkInterfaceLookup
    {
        public Task<IReadOnlyList<NetworkInterface>> DescribeNetworkInterfacesAsync(NetworkInterfaceQuery query, CancellationToken cancellationToken) =>
            cloud.Value.NetworkInterfaces.DescribeNetworkInterfacesAsync(query, cancellationToken);
    }
}

using System.Text.Json.Nodes;
using EipCni.Cni;
using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// <c>eip-cni-agent run</c>, the DaemonSet's long-running mode: every loop that keeps the node (and, while this agent
/// holds the Lease, the cluster) right, side by side until the stop token (SIGTERM) is cancelled. Each loop survives
/// the API server's and the disk's failures on its own; none waits for another.
/// <list type="bullet">
/// <item><see cref="ChainUpkeep"/>: the binaries and eip-cni's entry in the active config, re-applied within a second of
/// any change of the conf dir.</item>
/// <item><see cref="EniConfSync"/>: kube-system/eni-config's eni_conf mirrored to the host's eniConfPath.</item>
/// <item><see cref="PluginIdentity"/>: the plugin's kubeconfig and its short-lived TokenRequest token.</item>
/// <item><see cref="NodeGc"/>: every <see cref="AgentRunOptions.GcInterval"/>, the node's leftovers the runtime never
/// finishes, through the CNI GC pass and the journal's locks, with cloud clients composed afresh from the current
/// eni_conf each pass (a rotated AccessKey is picked up).</item>
/// <item><see cref="LeaderElection"/> on the kube-system/eip-cni-sweeper Lease: while this agent holds it, the
/// <see cref="ClusterSweep"/> passes over the cluster's tagged EIPs (one agent of the cluster at a time).</item>
/// <item><see cref="MetricsServer"/>: /metrics (<see cref="NodeMetrics"/>: the plugin's calls read from its log, the
/// journal counted at each scrape, GC and cloud errors) and /healthz.</item>
/// </list>
/// </summary>
public sealed class AgentRun(AgentRunOptions options, ILog log)
{
    /// <summary>The plugin's view of its own config (the entry install writes): where its journal, eni_conf and log live.</summary>
    public sealed record PluginPaths(string StateDir, string EniConfPath, string LogFile, string? ClusterId, string Kubeconfig);

    public static PluginPaths ReadPluginPaths(string? pluginConfigPath)
    {
        var entry = PluginEntry.ReadPluginConfig(pluginConfigPath) ?? new JsonObject();
        string? Text(string key) => entry[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        return new PluginPaths(
            Text("stateDir") ?? NetConf.DefaultStateDir,
            Text("eniConfPath") ?? "/etc/eni/eni.json",
            Text("logFile") ?? NetConf.DefaultLogFile,
            Text("clusterId"),
            Text("kubeconfig") ?? "/etc/cni/net.d/eip-cni.d/eip-cni.kubeconfig");
    }

    /// <summary>Runs until <paramref name="stopping"/> is cancelled; returns once every loop has ended.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var paths = ReadPluginPaths(options.PluginConfigPath);
        var config = AgentKubeconfig.Resolve(options.Kubeconfig, Environment.GetEnvironmentVariable);
        using var kube = new KubeClient(config, log, new KubeClientOptions { NodeName = options.NodeName, Component = "eip-cni-agent", UserAgent = "eip-cni-agent" });
        var install = new InstallOptions
        {
            CniBinDir = options.CniBinDir,
            CniConfDir = options.CniConfDir,
            PluginConfigPath = options.PluginConfigPath,
            NodeName = options.NodeName,
        };
        var pluginDir = Path.GetFileName(Path.GetDirectoryName(paths.Kubeconfig)) ?? "eip-cni.d";
        var identity = new PluginIdentityOptions
        {
            KubeconfigPath = Path.Combine(options.CniConfDir, pluginDir, Path.GetFileName(paths.Kubeconfig)),
            TokenPath = Path.Combine(options.CniConfDir, pluginDir, "eip-cni.token"),
            TokenPathOnHost = Path.Combine(options.HostCniConfDir, pluginDir, "eip-cni.token"),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(identity.KubeconfigPath)!);
        log.Write(LogLevel.Info, "eip-cni-agent running", ("node", options.NodeName), ("confDir", options.CniConfDir),
            ("stateDir", paths.StateDir), ("eniConfPath", paths.EniConfPath), ("pluginKubeconfig", identity.KubeconfigPath));

        var metrics = new NodeMetrics();
        new JournalCensus(paths.StateDir, metrics, TimeProvider.System).Register();
        using var tail = new CniLogTail(paths.LogFile, metrics.CniCall, reason => metrics.LogLinesSkipped.Inc(reason));
        MetricsServer? server = null;
        if (options.MetricsAddress is { } address)
        {
            // ":9767" (as conf/daemonset.yaml writes it, Go style) listens on every address.
            server = new MetricsServer(MetricsServer.ParseAddress(address.StartsWith(':') ? "0.0.0.0" + address : address), metrics.Registry, () => null, log);
            server.Start();
            log.Write(LogLevel.Info, "serving /metrics and /healthz", ("address", server.Address.ToString()));
        }

        var loops = new List<Task>
        {
            Loop("log tail", ct => tail.RunAsync(TimeSpan.FromSeconds(2), TimeProvider.System, ct), stopping),
            Loop("node gc", ct => NodeGcLoopAsync(paths, kube, metrics, ct), stopping),
            Loop("chain upkeep", ct => new ChainUpkeep(new ChainInstaller(), install, log).RunAsync(ct), stopping),
            Loop("eni_conf sync", ct => new EniConfSync(kube, new EniConfSyncOptions
            {
                Namespace = options.EniConfigNamespace, Name = options.EniConfigName, Path = paths.EniConfPath,
            }, log).RunAsync(ct), stopping),
            Loop("plugin identity", ct => new PluginIdentity(kube, config, identity, log).RunAsync(ct), stopping),
        };
        if (options.Sweep)
        {
            var election = new LeaderElection(kube, new LeaderElectionOptions { Identity = LeaderElection.IdentityOf(options.NodeName, options.PodName) }, log);
            loops.Add(Loop("cluster sweep election", ct => election.RunAsync(leading => SweepWhileLeadingAsync(paths, kube, metrics, leading), ct), stopping));
        }
        await Task.WhenAll(loops).ConfigureAwait(false);
        if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
        log.Write(LogLevel.Info, "eip-cni-agent stopped");
    }

    /// <summary>
    /// A node GC pass every interval, the first one a short while after start (the chain and eni_conf come first). The
    /// engine's services are composed for each pass from the plugin's config and the eni_conf of the moment.
    /// </summary>
    private async Task NodeGcLoopAsync(PluginPaths paths, KubeClient kube, NodeMetrics metrics, CancellationToken ct)
    {
        await Task.Delay(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var conf = PluginNetConf(options.PluginConfigPath);
                var eniConf = EniConf.Load(paths.EniConfPath, out var exists);
                var clusterId = conf.ClusterId ?? NetConf.ClusterIdOrNull(eniConf.ClusterId, "eni_conf.cluster_id");
                if (clusterId is null)
                {
                    log.Write(LogLevel.Warn, "node GC skipped: no clusterId in the plugin config or eni_conf", ("eniConfPresent", exists));
                }
                else
                {
                    using var cloud = EngineComposition.CreateCloud(conf, eniConf, log, metrics.CloudAttemptFailed);
                    var services = new Eip.EipServices(() => cloud.Eip,
                        () => new Eip.EniResolver(cloud.Metadata, cloud.NetworkInterfaces, conf.StateDir, log), () => kube, nodeName: options.NodeName);
                    var gc = new NodeGc(new NodeGcOptions { StateDir = paths.StateDir, ClusterId = clusterId, NodeName = options.NodeName }, services, log, metrics);
                    await gc.RunOnceAsync(ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is CniException or IOException or InstallRefusedException)
            {
                log.Write(LogLevel.Warn, "node GC pass failed", ("error", e.Message));
            }
            await Task.Delay(options.GcInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>While this agent holds the Lease: the cluster sweep, composed from the plugin config and eni_conf of the moment.</summary>
    private async Task SweepWhileLeadingAsync(PluginPaths paths, KubeClient kube, NodeMetrics metrics, CancellationToken leading)
    {
        var conf = PluginNetConf(options.PluginConfigPath);
        var eniConf = EniConf.Load(paths.EniConfPath, out _);
        var clusterId = conf.ClusterId ?? NetConf.ClusterIdOrNull(eniConf.ClusterId, "eni_conf.cluster_id");
        if (clusterId is null)
        {
            log.Write(LogLevel.Warn, "leading, but no clusterId in the plugin config or eni_conf: no sweep");
            await Task.Delay(Timeout.Infinite, leading).ConfigureAwait(false);
            return;
        }
        using var cloud = EngineComposition.CreateCloud(conf, eniConf, log, metrics.CloudAttemptFailed);
        var services = new Eip.EipServices(() => cloud.Eip,
            () => new Eip.EniResolver(cloud.Metadata, cloud.NetworkInterfaces, conf.StateDir, log), () => kube, nodeName: options.NodeName);
        var sweep = new ClusterSweep(new ClusterSweepOptions { ClusterId = clusterId, StateDir = paths.StateDir, Grace = options.SweepGrace },
            services, log, metrics, cloud.NetworkInterfaces);
        await sweep.LeadAsync(leading).ConfigureAwait(false);
    }

    /// <summary>The plugin's config as the plugin parses it (the entry install writes), for the engine's composition.</summary>
    public static NetConf PluginNetConf(string? pluginConfigPath)
    {
        var entry = PluginEntry.ReadPluginConfig(pluginConfigPath) ?? new JsonObject();
        entry["cniVersion"] = "1.0.0";
        entry["name"] = "eip-cni-agent";
        entry["type"] = "eip-cni";
        using var doc = System.Text.Json.JsonDocument.Parse(entry.ToJsonString());
        return NetConf.Parse(doc.RootElement.Clone(), CniCommand.Gc);
    }

    /// <summary>One loop: an unexpected failure is logged and the loop restarted after a pause, never the whole agent taken down.</summary>
    private async Task Loop(string name, Func<CancellationToken, Task> body, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await body(stopping).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.Write(LogLevel.Error, "loop failed; restarting it in 5 s", ("loop", name), ("error", $"{e.GetType().Name}: {e.Message}"));
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

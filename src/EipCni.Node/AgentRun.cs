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
/// <item><see cref="NodeWork"/>: every <see cref="AgentRunOptions.GcInterval"/> a <see cref="NodeGc"/> pass over the
/// node's leftovers the runtime never finishes, with cloud clients composed afresh from the current eni_conf each pass
/// (a rotated AccessKey is picked up); /metrics (<see cref="NodeMetrics"/>: the plugin's calls read from its log, the
/// journal counted at each scrape, GC and cloud errors) and /healthz (unhealthy once GC passes stop finishing).</item>
/// <item><see cref="LeaderElection"/> on the kube-system/eip-cni-sweeper Lease: while this agent holds it, the
/// <see cref="ClusterSweep"/> passes over the cluster's tagged EIPs (one agent of the cluster at a time).</item>
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
            Text("eniConfPath") ?? NetConf.DefaultEniConfPath,
            Text("logFile") ?? NetConf.DefaultLogFile,
            Text("clusterId"),
            Text("kubeconfig") ?? NetConf.DefaultKubeconfig);
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
        var work = new NodeWork(() => new NodeComposition(AgentConfig.FromPluginConfig(options.PluginConfigPath, options.NodeName), log, metrics, kube: kube),
            metrics, new NodeWorkOptions
            {
                StateDir = paths.StateDir,
                LogFile = paths.LogFile,
                MetricsAddress = options.MetricsAddress is { } address ? MetricsServer.ParseAddress(address) : null,
                LogPoll = TimeSpan.FromSeconds(2),
                GcInterval = options.GcInterval,
                FirstGcAfter = TimeSpan.FromSeconds(10),
                SweepGrace = options.SweepGrace,
            }, TimeProvider.System, log);

        var loops = new List<Task>
        {
            Loop("node work", work.RunAsync, stopping),
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
            loops.Add(Loop("cluster sweep election", ct => election.RunAsync(work.LeadAsync, ct), stopping));
        }
        await Task.WhenAll(loops).ConfigureAwait(false);
        log.Write(LogLevel.Info, "eip-cni-agent stopped");
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

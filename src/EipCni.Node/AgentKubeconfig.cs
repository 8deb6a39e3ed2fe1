using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// The agent's own API server identity: a kubeconfig file when one is given (tests, running outside the cluster), else
/// the pod's service account (<see cref="Kubeconfig.InCluster"/>, its projected token re-read on every request).
/// </summary>
/// <example>
/// How <c>eip-cni-agent run</c> composes the Kubernetes side: one client, each component a
/// <c>Task RunAsync(CancellationToken)</c> loop that never throws for the API server's or the disk's failures and returns
/// when the token is cancelled (SIGTERM), the elector after releasing its Lease.
/// <code>
/// var config = AgentKubeconfig.Resolve(options.Kubeconfig, Environment.GetEnvironmentVariable);
/// using var kube = new KubeClient(config, log, new KubeClientOptions { NodeName = nodeName, Component = "eip-cni-agent", UserAgent = "eip-cni-agent" });
/// var election = new LeaderElection(kube, new LeaderElectionOptions { Identity = LeaderElection.IdentityOf(nodeName, podName) }, log);
/// await Task.WhenAll(
///     new EniConfSync(kube, new EniConfSyncOptions { Path = eniConfPath }, log).RunAsync(stopping),
///     new PluginIdentity(kube, config, new PluginIdentityOptions { KubeconfigPath = pluginKubeconfig }, log).RunAsync(stopping),
///     election.RunAsync(leading => sweep.RunAsync(leading), stopping));   // the cluster sweep runs only while leading
/// </code>
/// The pods of the node, for node GC: <c>new Informer&lt;PodView&gt;(kube.ListWatch(KubeResources.Pods, null,
/// KubeSelector.OnNode(nodeName)), handler, log)</c>, its <c>Snapshot()</c> once <c>HasSynced</c>.
/// </example>
public static class AgentKubeconfig
{
    /// <summary>
    /// <paramref name="kubeconfigPath"/> loaded when given, else the in-cluster configuration. Throws
    /// <see cref="KubeconfigException"/> naming what is missing or wrong.
    /// </summary>
    public static Kubeconfig Resolve(string? kubeconfigPath, Func<string, string?> environment,
        string serviceAccountDirectory = Kubeconfig.ServiceAccountDirectory) =>
        string.IsNullOrEmpty(kubeconfigPath) ? Kubeconfig.InCluster(environment, serviceAccountDirectory) : Kubeconfig.Load(kubeconfigPath);
}

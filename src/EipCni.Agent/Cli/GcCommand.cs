using System.CommandLine;
using EipCni.Cni;
using EipCni.Node;

namespace EipCni.Cli;

/// <summary>
/// <c>eip-cni-agent gc</c>: the node GC once (what the agent runs every few minutes), or with <c>--cluster</c> one
/// pass of the cluster sweep; <c>--cluster --dry-run</c> prints what the sweep would do and changes nothing.
/// </summary>
public static class GcCommand
{
    public static Command Create()
    {
        var cluster = new Option<bool>("--cluster") { Description = "Sweep the whole cluster's EIPs (what the elected agent does) instead of this node's journal." };
        var dryRun = new Option<bool>("--dry-run") { Description = "With --cluster: print one line per EIP (id, ip, pod, node, decision, reason) and change nothing." };
        var config = new Option<string?>("--config") { Description = "The CNI config file with the eip-cni entry (default: the first one in --conf-dir)." };
        var confDir = new Option<string>("--conf-dir") { Description = "Where the runtime's CNI configs are.", DefaultValueFactory = _ => AgentConfig.DefaultConfDir };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "The API server identity to use (default: the plugin's; it must be allowed to list pods and nodes)." };
        var nodeName = new Option<string?>("--node-name") { Description = "This node's Kubernetes name (default: the entry's nodeName, NODE_NAME, the host name)." };
        var grace = new Option<string>("--grace") { Description = "With --cluster: how long an EIP of a gone node must stay orphaned before it is given back (Go duration).", DefaultValueFactory = _ => "10m" };
        var describes = new Option<int>("--describes-per-minute") { Description = "With --cluster: DescribeEipAddresses calls a minute.", DefaultValueFactory = _ => 60 };
        var mutations = new Option<int>("--mutations-per-minute") { Description = "With --cluster: unbinds, releases and tag calls a minute.", DefaultValueFactory = _ => 60 };

        var command = new Command("gc", "Give back what this node's journal holds for pods that are gone (node GC), or sweep the cluster's EIPs (--cluster).")
        {
            cluster, dryRun, config, confDir, kubeconfig, nodeName, grace, describes, mutations,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(dryRun) && !parse.GetValue(cluster))
                return Fail("--dry-run goes with --cluster: the node GC has no dry run");
            if (!GoDuration.TryParse(parse.GetValue(grace), out var graceTime) || graceTime < TimeSpan.Zero)
                return Fail($"--grace \"{parse.GetValue(grace)}\" is not a Go duration such as 10m");
            if (parse.GetValue(describes) < 1 || parse.GetValue(mutations) < 1)
                return Fail("--describes-per-minute and --mutations-per-minute must be at least 1");
            AgentConfig agent;
            try
            {
                agent = AgentConfig.Load(parse.GetValue(config), parse.GetValue(confDir)!, parse.GetValue(nodeName));
            }
            catch (CniException e)
            {
                return Fail(e.Details.Length > 0 ? $"{e.Message}: {e.Details}" : e.Message);
            }
            var log = new JsonLineLog(agent.Plugin.LogFile, agent.Plugin.LogLevel, "agent-gc");
            using var node = new NodeComposition(agent, log, kubeconfig: parse.GetValue(kubeconfig));
            try
            {
                if (!parse.GetValue(cluster)) return await NodeGcAsync(node, ct).ConfigureAwait(false);
                var sweep = node.ClusterSweep(o => o with
                {
                    Grace = graceTime,
                    DescribesPerMinute = parse.GetValue(describes),
                    MutationsPerMinute = parse.GetValue(mutations),
                });
                return await SweepAsync(sweep, parse.GetValue(dryRun), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CniException or Cloud.CloudException or Kube.KubeException or IOException)
            {
                return Fail(e is CniException c && c.Details.Length > 0 ? $"{c.Message}: {c.Details}" : e.Message);
            }
        });
        return command;
    }

    private static async Task<int> NodeGcAsync(NodeComposition node, CancellationToken ct)
    {
        var report = await node.NodeGc().RunOnceAsync(ct).ConfigureAwait(false);
        foreach (var failure in report.Failures) Console.Out.WriteLine($"not finished: {failure}");
        Console.Out.WriteLine(report.ToString());
        return report.Failures.Any() ? 1 : 0;
    }

    private static async Task<int> SweepAsync(ClusterSweep sweep, bool dryRun, CancellationToken ct)
    {
        var report = await sweep.RunOnceAsync(dryRun, ct).ConfigureAwait(false);
        // stdout: one tab-separated line per EIP (column -t -s $'\t' aligns them); the summary goes to stderr.
        foreach (var verdict in report.Verdicts) Console.Out.WriteLine(verdict.ToString());
        Console.Error.WriteLine(report.ToString());
        return report.Failed > 0 ? 1 : 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"eip-cni-agent gc: {message}");
        return 2;
    }
}

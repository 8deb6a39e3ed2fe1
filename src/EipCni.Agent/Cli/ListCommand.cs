using System.CommandLine;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Node;

namespace EipCni.Cli;

/// <summary>
/// <c>eip-cni-agent list</c>: this node's attachments from the journal (<see cref="AttachmentListing"/>), or with
/// <c>--cluster</c> every EIP of the cluster from the cloud. A table or a JSON array on stdout; problems on stderr, exit 1.
/// </summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = "table (default) or json (an array of objects).",
            HelpName = "FORMAT",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "json");
        var confDir = OperatorOptions.ConfDir();
        var cluster = new Option<bool>("--cluster")
        {
            Description = "List this cluster's EIPs from the cloud (DescribeEipAddresses by the ownership tag eip-cni.alibabacloud.com/cluster) with their pod and node tags and status, instead of this node's journal.",
        };
        var command = new Command("list", "List this node's EIP attachments from the journal: pod, EIP, IP, ENI, phase, age.")
        {
            output, confDir, cluster,
        };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(confDir)!, parse.GetValue(output) == "json", parse.GetValue(cluster), ct));
        return command;
    }

    private static async Task<int> RunAsync(string confDir, bool json, bool cluster, CancellationToken ct)
    {
        NodeChain chain;
        try
        {
            chain = NodeChain.Read(confDir);
        }
        catch (NodeChainException e)
        {
            Console.Error.WriteLine($"eip-cni-agent list: {e.Message}");
            return 1;
        }
        return cluster ? await ClusterAsync(chain.Conf, json, ct).ConfigureAwait(false) : Node(chain.Conf, json);
    }

    private static int Node(NetConf conf, bool json)
    {
        var failed = false;
        try
        {
            var records = AttachmentListing.NodeRecords(conf.StateDir, (path, e) =>
            {
                Console.Error.WriteLine($"eip-cni-agent list: skipped {path}: {e.Message}");
                failed = true;
            });
            var now = DateTimeOffset.UtcNow;
            Console.Out.Write(json ? Json(AttachmentListing.NodeJson(records, now)) : AttachmentListing.NodeTable(records, now));
            return failed ? 1 : 0;
        }
        catch (Exception e) when (e is CniException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"eip-cni-agent list: cannot read the journal in {conf.StateDir}: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> ClusterAsync(NetConf conf, bool json, CancellationToken ct)
    {
        try
        {
            var eniConf = EniConf.Load(conf.EniConfPath, out _);
            var clusterId = AttachmentListing.ClusterId(conf, eniConf) ?? throw CniErrors.NoClusterId();
            using var cloud = CloudClients.Create(EngineComposition.CloudOptionsFor(conf, eniConf), NullLog.Instance);
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(TimeSpan.FromSeconds(60));
            var eips = await AttachmentListing.ClusterEipsAsync(cloud.Eip, clusterId, budget.Token).ConfigureAwait(false);
            Console.Out.Write(json ? Json(AttachmentListing.ClusterJson(eips)) : AttachmentListing.ClusterTable(eips));
            return 0;
        }
        catch (CniException e)
        {
            Console.Error.WriteLine($"eip-cni-agent list: {e.Message}" + (e.Details.Length > 0 ? $": {e.Details}" : ""));
        }
        catch (CloudException e)
        {
            Console.Error.WriteLine($"eip-cni-agent list: DescribeEipAddresses failed: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or OperationCanceledException or HttpRequestException)
        {
            Console.Error.WriteLine($"eip-cni-agent list: {(e is OperationCanceledException ? "the cloud did not answer within 60 s" : e.Message)}");
        }
        return 1;
    }

    private static string Json(System.Text.Json.Nodes.JsonArray array) => OperatorJson.Text(array);
}

using System.Text.Json.Nodes;
using EipCni.Node;
using EipCni.State;

namespace EipCni.Tests.Node;

/// <summary><c>eip-cni-agent list</c> over a journal written with the State API.</summary>
public class ListCommandTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static IReadOnlyList<AttachmentRecord> Fabricate(OperatorNode node)
    {
        var chain = NodeChain.Read(node.ConfDir);
        Assert.Equal(node.StateDir, chain.Conf.StateDir);
        new Journal(chain.Conf.StateDir, "terway").Write(new AttachmentRecord
        {
            Network = "terway", ContainerId = "c0ffee01", IfName = "eth0", ClusterId = "c-test",
            PodNamespace = "default", PodName = "web-0", PodUid = "11111111-2222-3333-4444-555555555555",
            Origin = EipOrigin.Automatic, Phase = AttachmentPhase.Bound,
            AllocationId = "eip-bp1aaa", EipAddress = "47.0.0.1", NetworkInterfaceId = "eni-bp1xyz", PrivateIp = "10.0.1.7",
            CreatedAt = Now - TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(12),
        });
        // A second network under the same state dir is listed too; an allocation still in flight has no EIP yet.
        new Journal(chain.Conf.StateDir, "other-net").Write(new AttachmentRecord
        {
            Network = "other-net", ContainerId = "c0ffee02", IfName = "eth1", ClusterId = "c-test",
            PodNamespace = "jobs", PodName = "batch-x", Origin = EipOrigin.Automatic, Phase = AttachmentPhase.Allocating,
            CreatedAt = Now - TimeSpan.FromSeconds(5),
        });
        return AttachmentListing.NodeRecords(chain.Conf.StateDir);
    }

    [Fact]
    public void The_table_has_one_row_per_record_of_every_network_oldest_first()
    {
        using var node = new OperatorNode();
        var records = Fabricate(node);

        var table = AttachmentListing.NodeTable(records, Now);

        Assert.Equal(
            "POD            EIP                    IP        ENI         PHASE       AGE\n" +
            "default/web-0  eip-bp1aaa (47.0.0.1)  10.0.1.7  eni-bp1xyz  Bound       3m12s\n" +
            "jobs/batch-x   -                      -         -           Allocating  5s\n", table);
    }

    [Fact]
    public void Json_is_an_array_of_objects()
    {
        using var node = new OperatorNode();
        var json = JsonNode.Parse(OperatorJson.Text(AttachmentListing.NodeJson(Fabricate(node), Now)))!.AsArray();

        Assert.Equal(2, json.Count);
        var first = json[0]!;
        Assert.Equal("default/web-0", (string)first["pod"]!);
        Assert.Equal("eip-bp1aaa", (string)first["allocationId"]!);
        Assert.Equal("47.0.0.1", (string)first["eipAddress"]!);
        Assert.Equal("10.0.1.7", (string)first["ip"]!);
        Assert.Equal("eni-bp1xyz", (string)first["eni"]!);
        Assert.Equal("Bound", (string)first["phase"]!);
        Assert.Equal(192, (long)first["ageSeconds"]!);
        Assert.Equal("other-net", (string)json[1]!["network"]!);
        Assert.Null(json[1]!["allocationId"]);
    }

    [Fact]
    public void An_empty_journal_prints_the_header_only()
    {
        using var node = new OperatorNode();
        Assert.Equal("POD  EIP  IP  ENI  PHASE  AGE\n", AttachmentListing.NodeTable(AttachmentListing.NodeRecords(node.StateDir), Now));
    }

    [Fact]
    public void Cluster_eips_show_their_pod_and_node_tags_and_status()
    {
        var eips = new[]
        {
            new EipCni.Cloud.EipAddress
            {
                AllocationId = "eip-1", IpAddress = "47.0.0.1", Status = "InUse", InstanceId = "eni-1", PrivateIpAddress = "10.0.1.7",
                Tags = new EipCni.Cloud.VpcTagList([new(EipCni.Eip.OwnershipTags.Pod, "default/web-0"), new(EipCni.Eip.OwnershipTags.Node, "n1"),
                    new(EipCni.Eip.OwnershipTags.ReleaseStrategy, "Follow")]),
            },
        };
        Assert.Equal(
            "EIP               STATUS  POD            NODE  BOUND TO        RELEASE\n" +
            "eip-1 (47.0.0.1)  InUse   default/web-0  n1    eni-1 10.0.1.7  Follow\n", AttachmentListing.ClusterTable(eips));
    }
}

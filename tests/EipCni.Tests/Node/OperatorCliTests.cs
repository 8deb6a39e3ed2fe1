using System.Text;
using System.Text.Json.Nodes;
using EipCni.State;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>The published <c>out/eip-cni-agent list</c>, <c>explain</c> and <c>status</c>: arguments in, stdout and exit code out.</summary>
public class OperatorCliTests
{
    private static string Out => Path.GetDirectoryName(Repo.PluginBinary)!;

    private static ProcessResult Agent(string[] args, string? stdin = null) =>
        ProcessRunner.Run(Path.Combine(Out, "eip-cni-agent"), args, stdin: stdin is null ? null : Encoding.UTF8.GetBytes(stdin));

    [Fact]
    public void List_prints_the_journal_as_a_table_and_as_json()
    {
        using var node = new OperatorNode();
        new Journal(node.StateDir, "terway").Write(new AttachmentRecord
        {
            Network = "terway", ContainerId = "c0ffee01", IfName = "eth0", ClusterId = "c-test", PodNamespace = "default", PodName = "web-0",
            Origin = EipOrigin.Automatic, Phase = AttachmentPhase.Bound, AllocationId = "eip-1", EipAddress = "47.0.0.1",
            NetworkInterfaceId = "eni-1", PrivateIp = "10.0.1.7",
        });

        var table = Agent(["list", "--cni-conf-dir", node.ConfDir]);
        Assert.True(table.ExitCode == 0, table.Stderr);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("POD            EIP               IP        ENI    PHASE  AGE", lines[0]);
        Assert.StartsWith("default/web-0  eip-1 (47.0.0.1)  10.0.1.7  eni-1  Bound  ", lines[1]);

        var json = Agent(["list", "-o", "json", "--cni-conf-dir", node.ConfDir]);
        Assert.True(json.ExitCode == 0, json.Stderr);
        var first = JsonNode.Parse(json.Stdout)!.AsArray().Single()!;
        Assert.Equal("eip-1", (string)first["allocationId"]!);
        Assert.Equal("Bound", (string)first["phase"]!);
    }

    [Fact]
    public void Explain_reads_stdin_and_exits_1_when_ADD_would_fail()
    {
        using var node = new OperatorNode();
        const string pod = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default",
             "annotations":{"network.alibabacloud.com/pod-with-eip":"true","network.alibabacloud.com/eip-isp":"Nope"}}}
            """;
        var bad = Agent(["explain", "-f", "-", "--cni-conf-dir", node.ConfDir], pod);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("ADD would fail with error 7: invalid annotation network.alibabacloud.com/eip-isp", bad.Stdout);

        var good = Agent(["explain", "-f", "-", "--cni-conf-dir", node.ConfDir], pod.Replace("\"Nope\"", "\"BGP\""));
        Assert.True(good.ExitCode == 0, good.Stdout + good.Stderr);
        Assert.EndsWith("ADD would proceed\n", good.Stdout);
    }

    [Fact]
    public void Status_exits_1_with_a_fix_for_each_failure()
    {
        using var node = new OperatorNode();
        var r = Agent(["status", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"FAIL  eip-cni-agent      {node.BinDir}/eip-cni-agent does not exist\n      fix: eip-cni-agent install", r.Stdout);
        Assert.Contains($"OK    chain              eip-cni is the last of 2 plugins in {node.ConfigPath}\n", r.Stdout);
    }
}

using System.Text;
using EipCni.Node;

namespace EipCni.Tests.Node;

/// <summary><c>eip-cni-agent status</c> on a scratch node: each precondition of ADD one line, OK or FAIL with its fix.</summary>
public class StatusCommandTests
{
    private static async Task<IReadOnlyList<SelfCheck>> Run(OperatorNode node) =>
        await new NodeSelfCheck
        {
            CniBinDir = node.BinDir,
            CniConfDir = node.ConfDir,
            SourceDir = node.SourceDir,
            Timeout = TimeSpan.FromSeconds(2),
            Environment = _ => null,
        }.RunAsync(CancellationToken.None);

    private static SelfCheck Check(IReadOnlyList<SelfCheck> checks, string name) => Assert.Single(checks, c => c.Check == name);

    private static string Jwt(DateTimeOffset exp) =>
        $"eyJhbGciOiJSUzI1NiJ9.{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"exp\":{exp.ToUnixTimeSeconds()}}}")).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.c2ln";

    [Fact]
    public async Task With_everything_in_place_the_local_checks_pass()
    {
        using var node = new OperatorNode();
        node.InstallBinaries();
        node.WriteKubeconfig(Jwt(DateTimeOffset.UtcNow.AddMinutes(50)));

        var checks = await Run(node);

        foreach (var name in new[] { "eip-cni-agent", "eip-cni", "chain", "eni_conf", "cluster ID", "state dir", "kubeconfig", "token", "credentials" })
            Assert.True(Check(checks, name).Ok, SelfCheck.Format(checks));
        Assert.Equal($"eip-cni is the last of 2 plugins in {node.ConfigPath}", Check(checks, "chain").Detail);
        Assert.Equal("from eni_conf", Check(checks, "credentials").Detail[..13]);
        Assert.StartsWith($"{node.TokenPath} expires in 4", Check(checks, "token").Detail);
        // Nobody listens on the loopback endpoints of the scratch config: reachability fails, with its fix.
        var vpc = Check(checks, "endpoint vpc");
        Assert.False(vpc.Ok);
        Assert.StartsWith("127.0.0.1:1: ", vpc.Detail);
        Assert.Contains("\n      fix: the node must reach", SelfCheck.Format(checks));
    }

    [Fact]
    public async Task A_missing_binary_fails_with_the_install_command_as_fix()
    {
        using var node = new OperatorNode();
        node.InstallBinaries();
        File.Delete(Path.Combine(node.BinDir, "eip-cni"));

        var checks = await Run(node);

        Assert.True(Check(checks, "eip-cni-agent").Ok);
        var missing = Check(checks, "eip-cni");
        Assert.False(missing.Ok);
        Assert.Equal($"{node.BinDir}/eip-cni does not exist", missing.Detail);
        Assert.StartsWith($"eip-cni-agent install --cni-bin-dir {node.BinDir}", missing.Fix);
        Assert.StartsWith($"FAIL  eip-cni        {node.BinDir}/eip-cni does not exist\n      fix: eip-cni-agent install", SelfCheck.Format([missing, Check(checks, "eip-cni-agent")]));
    }

    [Fact]
    public async Task A_binary_that_differs_from_the_agents_copy_fails()
    {
        using var node = new OperatorNode();
        node.InstallBinaries();
        File.AppendAllText(Path.Combine(node.BinDir, "eip-cni-agent"), "# older build\n");

        var agent = Check(await Run(node), "eip-cni-agent");

        Assert.False(agent.Ok);
        Assert.Contains("differs from the agent's", agent.Detail);
    }

    [Fact]
    public async Task A_chain_without_eip_cni_fails_and_stops_there()
    {
        using var node = new OperatorNode();
        node.InstallBinaries();
        File.WriteAllText(node.ConfigPath, """{"cniVersion":"1.0.0","name":"terway","plugins":[{"type":"terway"}]}""");

        var checks = await Run(node);

        var chain = Check(checks, "chain");
        Assert.False(chain.Ok);
        Assert.Equal($"the active config {node.ConfigPath} has no eip-cni entry", chain.Detail);
        Assert.Equal(["eip-cni-agent", "eip-cni", "chain", "config"], checks.Select(c => c.Check));
    }

    [Fact]
    public async Task Eip_cni_before_another_plugin_fails()
    {
        using var node = new OperatorNode();
        File.WriteAllText(node.ConfigPath, """{"cniVersion":"1.0.0","name":"terway","plugins":[{"type":"terway"},{"type":"eip-cni","clusterId":"c"},{"type":"portmap"}]}""");

        var chain = Check(await Run(node), "chain");

        Assert.False(chain.Ok);
        Assert.StartsWith("eip-cni is plugin 2 of 3 in", chain.Detail);
    }

    [Fact]
    public async Task An_expired_token_and_a_missing_eni_conf_fail()
    {
        using var node = new OperatorNode(eipPool: false);
        node.WriteKubeconfig(Jwt(DateTimeOffset.UtcNow.AddMinutes(-5)));

        var checks = await Run(node);

        Assert.False(Check(checks, "token").Ok);
        Assert.Contains(" expired 5m", Check(checks, "token").Detail);
        Assert.False(Check(checks, "eni_conf").Ok);
        Assert.EndsWith("does not exist: the EIP feature is off and ADD passes every pod through", Check(checks, "eni_conf").Detail);
    }

    [Theory]
    [InlineData("not-a-jwt", null)]
    [InlineData("a.b.c", null)]
    [InlineData("x.eyJleHAiOjE3MDAwMDAwMDB9.y", 1700000000L)]
    public void Jwt_expiry(string token, long? exp) =>
        Assert.Equal(exp is { } e ? DateTimeOffset.FromUnixTimeSeconds(e) : null, NodeSelfCheck.JwtExpiry(token));
}

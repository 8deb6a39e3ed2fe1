using EipCni.Cni;
using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>How the agent finds the plugin's config: the eip-cni entry of the conflist the runtime loads, and eni_conf.</summary>
public sealed class AgentConfigTests : IDisposable
{
    private readonly TempDir _dir = new("eipcni-agentconf");

    private string ConfDir => Directory.CreateDirectory(_dir.File("net.d")).FullName;

    private void Write(string name, string json) => File.WriteAllText(Path.Combine(ConfDir, name), json);

    private string EniConf(string json)
    {
        var path = _dir.File("eni.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void The_first_conflist_with_an_eip_cni_entry_gives_the_config_with_the_lists_name_and_version()
    {
        var eni = EniConf("""{"enable_eip_pool":"true","cluster_id":"c-from-eni"}""");
        Write("05-other.conflist", """{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"bridge"}]}""");
        Write("10-terway.conflist", $$"""
            {"cniVersion":"1.0.0","name":"terway","plugins":[{"type":"terway"},
              {"type":"eip-cni","eniConfPath":"{{eni}}","stateDir":"{{_dir.File("state")}}","nodeName":"cn-hangzhou.10.0.1.5"}]}
            """);
        Write("20-broken.conflist", "{not json");

        var config = AgentConfig.Load(null, ConfDir, env: _ => null);

        Assert.Equal(("terway", "1.0.0"), (config.Plugin.Name, config.Plugin.CniVersion));
        Assert.Equal("c-from-eni", config.ClusterId);
        Assert.Equal("cn-hangzhou.10.0.1.5", config.NodeName);
        Assert.Equal(_dir.File("state"), config.Plugin.StateDir);
        Assert.EndsWith("10-terway.conflist", config.Source);
    }

    [Fact]
    public void The_node_name_comes_from_the_flag_then_the_entry_then_NODE_NAME()
    {
        Write("10.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"eip-cni","clusterId":"c1","eniConfPath":"/nonexistent/eni.json"}]}""");
        Assert.Equal("from-env", AgentConfig.Load(null, ConfDir, env: n => n == "NODE_NAME" ? "from-env" : null).NodeName);
        Assert.Equal("from-flag", AgentConfig.Load(null, ConfDir, "from-flag", env: _ => "from-env").NodeName);
    }

    [Fact]
    public void A_named_file_wins_and_what_is_missing_is_said()
    {
        var file = _dir.File("plain.conf");
        File.WriteAllText(file, """{"cniVersion":"1.0.0","name":"single","type":"eip-cni","clusterId":"c9","eniConfPath":"/nonexistent/eni.json"}""");
        Assert.Equal(("single", "c9"), (AgentConfig.Load(file, ConfDir).Plugin.Name, AgentConfig.Load(file, ConfDir).ClusterId));

        Write("10.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"terway"}]}""");
        var none = Assert.Throws<CniException>(() => AgentConfig.Load(null, ConfDir));
        Assert.Contains("no CNI config in", none.Message);

        Write("20.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"eip-cni","eniConfPath":"/nonexistent/eni.json"}]}""");
        var noCluster = Assert.Throws<CniException>(() => AgentConfig.Load(null, ConfDir));
        Assert.Equal("clusterId is not configured", noCluster.Message);

        Write("05.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"eip-cni","clusterId":"c1","stateDir":"relative"}]}""");
        var invalid = Assert.Throws<CniException>(() => AgentConfig.Load(null, ConfDir));
        Assert.Equal(CniCode.InvalidConfig, invalid.Code);
        Assert.Contains("stateDir", invalid.Message);
    }

    public void Dispose() => _dir.Dispose();
}

using System.Text.Json.Nodes;
using EipCni.Node;

namespace EipCni.Tests.Node;

/// <summary>ChainInstaller's decisions beyond the golden conf dirs: refusals, entries without a plugin config, re-conversion, uninstall.</summary>
public class ChainInstallerTests
{
    private const string Terway = """{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway"}]}""";

    private static InstallRefusedException Refused(NodeDirs node, InstallOptions? options = null)
    {
        var before = NodeDirs.Snapshot(node.ConfDir);
        var e = Assert.Throws<InstallRefusedException>(() => new ChainInstaller().Install(options ?? node.Options()));
        Assert.Equal(before, NodeDirs.Snapshot(node.ConfDir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(node.BinDir));
        return e;
    }

    private static JsonArray Plugins(string path) => NodeDirs.Json(path)["plugins"]!.AsArray();

    [Theory]
    [InlineData("[{\"clusterId\":\"c1\"}]", "holds an array, not a JSON object")]
    [InlineData("\"c1\"", "holds a string, not a JSON object")]
    [InlineData("{\"clusterId\":", "is not valid JSON")]
    [InlineData("{\"logLevel\":\"verbose\"}", "invalid value for \"logLevel\"")]
    [InlineData("{\"clusterId\":\"has space\"}", "invalid value for \"clusterId\"")]
    [InlineData("{\"addTimeoutSeconds\":1000}", "\"addTimeoutSeconds\" is 1000")]
    public void A_plugin_config_eip_cni_would_refuse_is_refused(string content, string message)
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", Terway);
        var config = Path.Combine(node.Root, "plugin.json");
        File.WriteAllText(config, content);

        var e = Refused(node, node.Options(config));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_missing_plugin_config_is_refused()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", Terway);
        var e = Refused(node, node.Options(Path.Combine(node.Root, "absent.json")));
        Assert.Contains("absent.json does not exist", e.Message);
    }

    [Theory]
    [InlineData("""{"cniVersion":"0.2.0","name":"n","plugins":[{"type":"terway"}]}""", "cniVersion is \"0.2.0\"")]
    [InlineData("""{"name":"n","plugins":[{"type":"terway"}]}""", "cniVersion is absent")]
    [InlineData("""{"cniVersion":"1.2.0","name":"n","plugins":[{"type":"terway"}]}""", "cniVersion is \"1.2.0\"")]
    [InlineData("""{"cniVersion":"1.0.0","plugins":[{"type":"terway"}]}""", "has no \"name\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"my net","plugins":[{"type":"terway"}]}""", "invalid value for \"name\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n"}""", "has no \"plugins\" list")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","plugins":[]}""", "list is empty")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"terway"},"portmap"]}""", "plugin 2 is a string")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","plugins":[{"bridge":"cni0"}]}""", "plugin 1 has no \"type\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"eip-cni"}]}""", "holds eip-cni alone")]
    [InlineData("""[{"type":"terway"}]""", "holds an array, not a JSON object")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"terway"}]} {}""", "is not valid JSON")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"terway"}]} // comment""", "is not valid JSON")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","name":"m","plugins":[{"type":"terway"}]}""", "names a key twice")]
    public void An_active_conflist_the_runtime_or_eip_cni_could_not_use_is_refused(string content, string message)
    {
        using var node = new NodeDirs();
        var path = node.WriteConf("10-net.conflist", content);
        var e = Refused(node);
        Assert.Contains(path, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}""", "holds a plugin list")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n"}""", "has no \"type\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","type":"eip-cni"}""", "holds eip-cni alone")]
    [InlineData("""{"cniVersion":"0.1.0","name":"n","type":"bridge"}""", "cniVersion is \"0.1.0\"")]
    public void An_active_conf_the_runtime_or_eip_cni_could_not_use_is_refused(string content, string message)
    {
        using var node = new NodeDirs();
        node.WriteConf("10-net.conf", content);
        Assert.Contains(message, Refused(node).Message);
    }

    [Fact]
    public void A_symbolic_link_as_the_active_config_is_refused()
    {
        using var node = new NodeDirs();
        var real = Path.Combine(node.Root, "real.conflist");
        File.WriteAllText(real, Terway);
        File.CreateSymbolicLink(node.Conf("10-terway.conflist"), real);
        Assert.Contains("is a symbolic link", Refused(node).Message);
    }

    [Fact]
    public void A_directory_named_like_a_config_is_not_a_config()
    {
        using var node = new NodeDirs();
        Directory.CreateDirectory(node.Conf("00-dir.conflist"));
        node.WriteConf("10-terway.conflist", Terway);
        var outcome = new ChainInstaller().Install(node.Options());
        Assert.Equal(node.Conf("10-terway.conflist"), outcome.ActiveConfig);
    }

    [Fact]
    public void Missing_binaries_next_to_the_agent_are_refused_before_anything_is_written()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", Terway);
        File.Delete(Path.Combine(node.SourceDir, "eip-cni"));
        Assert.Contains("eip-cni is not in", Refused(node).Message);
    }

    [Fact]
    public void Without_a_plugin_config_a_present_entry_keeps_its_keys_and_gets_the_capability()
    {
        using var node = new NodeDirs();
        var path = node.WriteConf("10-terway.conflist",
            """{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"eip-cni","clusterId":"c9","capabilities":{"portMappings":true}},{"type":"terway"}]}""");

        new ChainInstaller().Install(node.Options(pluginConfig: null) with { NodeName = null });

        var expected = JsonNode.Parse("""[{"type":"terway"},{"type":"eip-cni","clusterId":"c9","capabilities":{"io.kubernetes.cri.pod-annotations":true}}]""");
        Assert.True(JsonNode.DeepEquals(expected, Plugins(path)), File.ReadAllText(path));
    }

    [Fact]
    public void Without_a_plugin_config_a_new_entry_has_type_node_name_and_capability_only()
    {
        using var node = new NodeDirs();
        var path = node.WriteConf("10-terway.conflist", Terway);
        new ChainInstaller().Install(node.Options(pluginConfig: null));
        var expected = JsonNode.Parse("""{"type":"eip-cni","nodeName":"cn-hangzhou.10.0.1.5","capabilities":{"io.kubernetes.cri.pod-annotations":true}}""");
        Assert.True(JsonNode.DeepEquals(expected, Plugins(path)[^1]), File.ReadAllText(path));
    }

    [Fact]
    public void A_changed_plugin_config_updates_the_entry_and_removed_keys_go()
    {
        using var node = new NodeDirs();
        var path = node.WriteConf("10-terway.conflist", Terway);
        new ChainInstaller().Install(node.Options());
        var config = Path.Combine(node.Root, "plugin.json");
        File.WriteAllText(config, """{"clusterId":"c2","maxConcurrentCloudCalls":8}""");

        var outcome = new ChainInstaller().Install(node.Options(config));

        Assert.Equal([InstallChangeKind.EntryWritten], outcome.Changes.Select(c => c.Kind));
        Assert.Contains("updated the eip-cni entry", outcome.Changes[0].Description);
        var expected = JsonNode.Parse("""{"type":"eip-cni","clusterId":"c2","maxConcurrentCloudCalls":8,"nodeName":"cn-hangzhou.10.0.1.5","capabilities":{"io.kubernetes.cri.pod-annotations":true}}""");
        Assert.True(JsonNode.DeepEquals(expected, Plugins(path)[^1]), File.ReadAllText(path));
    }

    [Fact]
    public void Several_eip_cni_entries_become_one_at_the_end()
    {
        using var node = new NodeDirs();
        var path = node.WriteConf("10-terway.conflist",
            """{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"eip-cni"},{"type":"terway"},{"type":"eip-cni"},{"type":"portmap"}]}""");
        var outcome = new ChainInstaller().Install(node.Options());
        Assert.Contains("replaced the 2 eip-cni entries", outcome.Changes.Single(c => c.Kind == InstallChangeKind.EntryWritten).Description);
        Assert.Equal(["terway", "portmap", "eip-cni"], Plugins(path).Select(p => (string)p!["type"]!));
    }

    [Fact]
    public void A_rewritten_conflist_keeps_its_mode()
    {
        using var node = new NodeDirs();
        var path = node.WriteConf("10-terway.conflist", Terway);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        new ChainInstaller().Install(node.Options());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    /// <summary>
    /// Install converts 10-bridge.conf, then the primary plugin's installer writes its .conf again: it sorts first, so
    /// the runtime loads it, without eip-cni. Returns the new content.
    /// </summary>
    private static string ConvertThenRewrite(NodeDirs node)
    {
        node.WriteConf("10-bridge.conf", """{"cniVersion":"1.0.0","name":"bridge","type":"bridge","bridge":"cni0"}""");
        new ChainInstaller().Install(node.Options());
        var newer = """{"cniVersion":"1.0.0","name":"bridge","type":"bridge","bridge":"cni1"}""";
        node.WriteConf("10-bridge.conf", newer);
        return newer;
    }

    [Fact]
    public void A_conf_rewritten_by_its_owner_after_conversion_is_converted_again()
    {
        using var node = new NodeDirs();
        var newer = ConvertThenRewrite(node);

        var outcome = new ChainInstaller().Install(node.Options());

        Assert.Equal([InstallChangeKind.ConfConverted], outcome.Changes.Select(c => c.Kind));
        Assert.Equal(["10-bridge.conf.eip-cni-backup", "10-bridge.conflist"], Directory.EnumerateFiles(node.ConfDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(newer, File.ReadAllText(node.Conf("10-bridge.conf.eip-cni-backup")));
        Assert.Equal("cni1", (string)Plugins(node.Conf("10-bridge.conflist"))[0]!["bridge"]!);
    }

    [Fact]
    public void A_conflist_of_the_same_name_that_install_did_not_write_stops_a_conversion()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-bridge.conf", """{"cniVersion":"1.0.0","name":"bridge","type":"bridge"}""");
        node.WriteConf("10-bridge.conflist", Terway);
        Assert.Contains("10-bridge.conflist exists and eip-cni-agent did not write it", Refused(node).Message);
    }

    [Fact]
    public void A_conversion_that_would_not_sort_first_is_refused()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-bridge.conf", """{"cniVersion":"1.0.0","name":"bridge","type":"bridge"}""");
        node.WriteConf("10-bridge.conf.json", """{"cniVersion":"1.0.0","name":"other","type":"ptp"}""");
        Assert.Contains("would sort after 10-bridge.conf.json", Refused(node).Message);
    }

    [Fact]
    public void Uninstall_keeps_a_conf_its_owner_rewrote_since_install()
    {
        using var node = new NodeDirs();
        var newer = ConvertThenRewrite(node);

        var outcome = new ChainInstaller().Uninstall(node.UninstallOptions());

        Assert.Contains(outcome.Changes, c => c.Kind == InstallChangeKind.ConfRestored && c.Description.Contains("rewritten since install"));
        Assert.Equal(["10-bridge.conf"], Directory.EnumerateFileSystemEntries(node.ConfDir).Select(Path.GetFileName));
        Assert.Equal(newer, File.ReadAllText(node.Conf("10-bridge.conf")));
    }

    [Fact]
    public void Uninstall_removes_entries_from_every_conflist_and_warns_about_what_it_cannot_read()
    {
        using var node = new NodeDirs();
        var first = node.WriteConf("10-a.conflist", """{"cniVersion":"1.0.0","name":"a","plugins":[{"type":"terway"},{"type":"eip-cni"}]}""");
        var second = node.WriteConf("20-b.conflist", """{"cniVersion":"1.0.0","name":"b","plugins":[{"type":"eip-cni"},{"type":"ptp"}]}""");
        var alone = node.WriteConf("30-c.conflist", """{"cniVersion":"1.0.0","name":"c","plugins":[{"type":"eip-cni"}]}""");
        node.WriteConf("40-d.conflist", "{not json");

        var outcome = new ChainInstaller().Uninstall(node.UninstallOptions());

        Assert.Equal([first, second], outcome.Changes.Where(c => c.Kind == InstallChangeKind.EntryRemoved).Select(c => c.Path));
        Assert.Equal(["terway"], Plugins(first).Select(p => (string)p!["type"]!));
        Assert.Equal(["ptp"], Plugins(second).Select(p => (string)p!["type"]!));
        Assert.Contains(outcome.Warnings, w => w.Contains(alone) && w.Contains("its only plugin"));
        Assert.Contains(outcome.Warnings, w => w.Contains("40-d.conflist is not valid JSON"));
    }

    [Fact]
    public void Uninstall_warns_about_journal_records_left_in_the_entrys_state_dir()
    {
        using var node = new NodeDirs();
        var stateDir = Path.Combine(node.Root, "state");
        node.WriteConf("10-terway.conflist", $$"""{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway"},{"type":"eip-cni","stateDir":"{{stateDir}}"}]}""");
        var network = Directory.CreateDirectory(Path.Combine(stateDir, "networks", "terway")).FullName;
        File.WriteAllText(Path.Combine(network, ".abc@eth0.json.1234.tmp"), "{}"); // not a record
        File.WriteAllText(Path.Combine(network, "abc@eth0.gen"), "2"); // a generation marker is not one either
        Assert.Empty(new ChainInstaller().Uninstall(node.UninstallOptions()).Warnings);

        node.WriteConf("10-terway.conflist", $$"""{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway"},{"type":"eip-cni","stateDir":"{{stateDir}}"}]}""");
        File.WriteAllText(Path.Combine(network, "abc@eth0.json"), "{}");
        var outcome = new ChainInstaller().Uninstall(node.UninstallOptions());

        Assert.Contains(outcome.Changes, c => c.Kind == InstallChangeKind.EntryRemoved);
        Assert.Equal($"{network} still holds journal records: EIPs eip-cni did not finish with (of pods not deleted before uninstall, whose DEL no longer "
            + "runs eip-cni, or kept by a release strategy) stay allocated; find them by the tag eip-cni.alibabacloud.com/cluster", Assert.Single(outcome.Warnings));
    }

    [Fact]
    public void An_absent_conf_dir_is_refused_and_uninstall_there_does_nothing()
    {
        using var node = new NodeDirs();
        Directory.Delete(node.ConfDir);
        Assert.Contains("does not exist", Assert.Throws<InstallRefusedException>(() => new ChainInstaller().Install(node.Options())).Message);
        Assert.Empty(new ChainInstaller().Uninstall(node.UninstallOptions()).Changes);
    }

    [Theory]
    [InlineData(new[] { "10-a.json", "10-a.conf", "10-a.conflist" }, "10-a.conf")]
    [InlineData(new[] { "b.conflist", "a.json" }, "a.json")]
    [InlineData(new[] { "Z.conf", "a.conf" }, "Z.conf")] // bytes, not culture: upper case first
    [InlineData(new[] { "10-x.conf.bak", "10-x.conflist.tmp", ".eip-cni-1.tmp", "99-y.conf" }, "99-y.conf")]
    [InlineData(new[] { ".hidden.conf", "00-a.conf" }, ".hidden.conf")] // libcni does not skip dot files
    public void The_active_config_is_the_first_loadable_file_in_byte_order(string[] files, string active)
    {
        using var node = new NodeDirs();
        foreach (var f in files) node.WriteConf(f, "{}");
        Assert.Equal(active, ConfDir.LoadableFiles(node.ConfDir)[0]);
    }
}

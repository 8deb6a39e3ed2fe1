using System.Text.Json.Nodes;
using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>The published <c>out/eip-cni-agent install</c> and <c>uninstall</c>, end to end against a scratch node.</summary>
public class InstallCliTests
{
    private static string Out => Path.GetDirectoryName(Repo.PluginBinary)!;

    private static ProcessResult Agent(params string[] args) => ProcessRunner.Run(Path.Combine(Out, "eip-cni-agent"), args);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Install_copies_both_binaries_and_chains_eip_cni_then_uninstall_removes_them()
    {
        using var node = new NodeDirs();
        var conflist = node.WriteConf("10-terway.conflist", """{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway"}]}""");
        string[] install = ["install", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir,
            "--plugin-config", Path.Combine(NodeDirs.Cases, "plugin.json"), "--node-name", NodeDirs.NodeName];

        var r = Agent(install);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stderr);
        Assert.Equal([$"copied {Out}/eip-cni-agent to {node.BinDir}/eip-cni-agent", $"copied {Out}/eip-cni to {node.BinDir}/eip-cni",
            $"added eip-cni to {conflist} as the last of 2 plugins"], Lines(r.Stdout));
        foreach (var binary in ChainInstaller.Binaries)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Out, binary)), File.ReadAllBytes(Path.Combine(node.BinDir, binary)));
            Assert.Equal("0755", Libc.Octal((uint)File.GetUnixFileMode(Path.Combine(node.BinDir, binary))));
        }
        var last = NodeDirs.Json(conflist)["plugins"]![1]!;
        Assert.Equal("c1234567890abcdef", (string)last["clusterId"]!);
        // The installed pair works: eip-cni hands its command line to the eip-cni-agent next to it.
        var version = ProcessRunner.Run(Path.Combine(node.BinDir, "eip-cni"), ["version"]);
        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.StartsWith("eip-cni ", version.Stdout);

        var before = NodeDirs.Snapshot(node.ConfDir);
        var again = Agent(install);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal([$"eip-cni is installed; nothing changed (active config {conflist})"], Lines(again.Stdout));
        Assert.Equal(before, NodeDirs.Snapshot(node.ConfDir));

        var removed = Agent("uninstall", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir);
        Assert.True(removed.ExitCode == 0, removed.Stderr);
        Assert.Equal([$"removed eip-cni from {conflist}", $"removed {node.BinDir}/eip-cni", $"removed {node.BinDir}/eip-cni-agent"], Lines(removed.Stdout));
        Assert.Empty(Directory.EnumerateFileSystemEntries(node.BinDir));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"type":"terway"}]"""), NodeDirs.Json(conflist)["plugins"]));

        var twice = Agent("uninstall", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir);
        Assert.Equal(0, twice.ExitCode);
        Assert.Equal(["eip-cni is not installed; nothing changed"], Lines(twice.Stdout));
    }

    [Fact]
    public void An_empty_conf_dir_is_refused_with_exit_code_1_and_nothing_written()
    {
        using var node = new NodeDirs();
        var r = Agent("install", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal($"eip-cni-agent install: refused, nothing written: no CNI config in {node.ConfDir} (no *.conflist, *.conf or *.json file): "
            + "the primary plugin (Terway) has not written its config yet, and eip-cni can only be chained after it\n", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(node.BinDir));
    }

    [Fact]
    public async Task Wait_retries_until_the_primary_plugin_writes_its_config()
    {
        using var node = new NodeDirs();
        var writer = Task.Run(async () =>
        {
            await Task.Delay(1500);
            node.WriteConf("10-terway.conflist", """{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway"}]}""");
        });
        var r = await Task.Run(() => Agent("install", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir, "--wait", "30"));
        await writer;
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith($"eip-cni-agent install: waiting: no CNI config in {node.ConfDir}", r.Stderr);
        Assert.Single(Lines(r.Stderr)); // said once, not once a second
        Assert.Contains("added eip-cni to", r.Stdout);
    }

    /// <summary>
    /// The DaemonSet runs as root with every capability dropped (conf/daemonset.yaml): root-owned 0755 directories are
    /// writable through their owner bits, so install and uninstall need none.
    /// </summary>
    [Fact]
    public void Install_needs_no_capability()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", """{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway"}]}""");
        string[] noCapabilities = ["--inh-caps=-all", "--bounding-set=-all", "--ambient-caps=-all", "--no-new-privs", "--", Path.Combine(Out, "eip-cni-agent")];

        var install = ProcessRunner.Run("setpriv", [.. noCapabilities, "install", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir,
            "--plugin-config", Path.Combine(NodeDirs.Cases, "plugin.json"), "--node-name", NodeDirs.NodeName]);
        Assert.True(install.ExitCode == 0, install.Stderr);
        Assert.Equal(3, Lines(install.Stdout).Length);
        var uninstall = ProcessRunner.Run("setpriv", [.. noCapabilities, "uninstall", "--cni-bin-dir", node.BinDir, "--cni-conf-dir", node.ConfDir]);
        Assert.True(uninstall.ExitCode == 0, uninstall.Stderr);
        Assert.Equal(3, Lines(uninstall.Stdout).Length);
    }

    [Theory]
    [InlineData("install", "--cni-bin-dir", "--cni-conf-dir", "--plugin-config", "--node-name", "--wait")]
    [InlineData("uninstall", "--cni-bin-dir", "--cni-conf-dir")]
    public void Help_lists_the_flags(string command, params string[] flags)
    {
        var r = Agent(command, "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var flag in flags) Assert.Contains(flag, r.Stdout);
    }

    [Fact]
    public void Missing_directories_are_a_usage_error()
    {
        var r = Agent("install", "--cni-conf-dir", "/nonexistent");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--cni-bin-dir", r.Stderr);
    }
}

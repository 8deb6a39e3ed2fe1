using System.Text.Json.Nodes;
using EipCni.Node;

namespace EipCni.Tests.Node;

/// <summary>
/// Install over real-world conf dirs (tests/EipCni.Tests/Golden/confdirs/CASE/in): the dir afterwards is exactly
/// CASE/expected, byte for byte; a second install writes nothing; uninstall gives back the input. A case with a
/// refused.txt is refused with that text and nothing is written. EIPCNI_UPDATE_GOLDEN=1 rewrites the expected dirs
/// (review the diff).
/// </summary>
public class ConfDirGoldenTests
{
    public static TheoryData<string> Installing() => new(Cases(refused: false));

    public static TheoryData<string> Refused() => new(Cases(refused: true));

    private static IEnumerable<string> Cases(bool refused) =>
        Directory.GetDirectories(NodeDirs.Cases).Select(d => Path.GetFileName(d)!)
            .Where(c => File.Exists(Path.Combine(NodeDirs.Cases, c, "refused.txt")) == refused).Order(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Installing))]
    public void Install_writes_the_expected_dir(string name)
    {
        using var node = new NodeDirs();
        var input = Path.Combine(NodeDirs.Cases, name, "in");
        NodeDirs.CopyDir(input, node.ConfDir);

        var outcome = new ChainInstaller().Install(node.Options());

        var expected = Path.Combine(NodeDirs.Cases, name, "expected");
        if (Environment.GetEnvironmentVariable("EIPCNI_UPDATE_GOLDEN") == "1")
        {
            if (Directory.Exists(expected)) Directory.Delete(expected, recursive: true);
            Directory.CreateDirectory(expected);
            NodeDirs.CopyDir(node.ConfDir, expected);
        }
        Assert.Equal(Files(expected), Files(node.ConfDir));
        Assert.Equal(outcome.ActiveConfig, Path.Combine(node.ConfDir, ConfDir.LoadableFiles(node.ConfDir)[0]));
        var active = NodeDirs.Json(outcome.ActiveConfig!)["plugins"]!.AsArray();
        Assert.Single(active, PluginEntry.IsEipCni);
        Assert.True(PluginEntry.IsEipCni(active[^1]));
    }

    [Theory]
    [MemberData(nameof(Installing))]
    public void A_second_install_writes_nothing(string name)
    {
        using var node = new NodeDirs();
        NodeDirs.CopyDir(Path.Combine(NodeDirs.Cases, name, "in"), node.ConfDir);
        new ChainInstaller().Install(node.Options());
        var conf = NodeDirs.Snapshot(node.ConfDir);
        var bin = NodeDirs.Snapshot(node.BinDir);

        var again = new ChainInstaller().Install(node.Options()); // a new installer: no remembered comparisons

        Assert.Empty(again.Changes);
        Assert.Equal(conf, NodeDirs.Snapshot(node.ConfDir)); // same bytes, inodes and mtimes
        Assert.Equal(bin, NodeDirs.Snapshot(node.BinDir));
    }

    [Theory]
    [MemberData(nameof(Installing))]
    public void Uninstall_gives_back_the_input(string name)
    {
        using var node = new NodeDirs();
        var input = Path.Combine(NodeDirs.Cases, name, "in");
        NodeDirs.CopyDir(input, node.ConfDir);
        new ChainInstaller().Install(node.Options());

        var outcome = new ChainInstaller().Uninstall(node.UninstallOptions());

        Assert.Empty(outcome.Warnings);
        Assert.Empty(Directory.EnumerateFileSystemEntries(node.BinDir));
        Assert.Equal(Directory.EnumerateFiles(input).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Directory.EnumerateFileSystemEntries(node.ConfDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var original in Directory.EnumerateFiles(input))
        {
            var now = node.Conf(Path.GetFileName(original));
            if (Path.GetExtension(original) == ".conflist")
            {
                // Semantically: the input without any eip-cni entry (one put there before install is taken out too).
                var wanted = NodeDirs.Json(original);
                var plugins = wanted["plugins"]!.AsArray();
                foreach (var ours in plugins.Where(PluginEntry.IsEipCni).ToList()) plugins.Remove(ours);
                Assert.True(JsonNode.DeepEquals(wanted, NodeDirs.Json(now)), $"{now}:\n{File.ReadAllText(now)}");
            }
            else
            {
                Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(now)); // a converted .conf is renamed back whole
            }
        }
        Assert.Empty(new ChainInstaller().Uninstall(node.UninstallOptions()).Changes);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_refused_install_names_the_file_and_writes_nothing(string name)
    {
        using var node = new NodeDirs();
        NodeDirs.CopyDir(Path.Combine(NodeDirs.Cases, name, "in"), node.ConfDir);
        var before = NodeDirs.Snapshot(node.ConfDir);

        var e = Assert.Throws<InstallRefusedException>(() => new ChainInstaller().Install(node.Options()));

        Assert.Contains(File.ReadAllText(Path.Combine(NodeDirs.Cases, name, "refused.txt")).Trim(), e.Message);
        Assert.Contains(node.ConfDir, e.Message);
        Assert.Equal(before, NodeDirs.Snapshot(node.ConfDir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(node.BinDir)); // not even the binaries
    }

    private static SortedDictionary<string, string> Files(string dir) =>
        new(Directory.EnumerateFileSystemEntries(dir).ToDictionary(p => Path.GetFileName(p), p => File.ReadAllText(p)), StringComparer.Ordinal);
}

using System.Diagnostics;
using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>The binaries in the CNI bin dir: identical ones untouched, others replaced by rename (0755), even while running.</summary>
public class BinaryCopyTests
{
    private const string Terway = """{"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway"}]}""";

    [Fact]
    public void Identical_binaries_are_left_alone()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", Terway);
        var first = new ChainInstaller().Install(node.Options());
        Assert.Equal(["eip-cni-agent", "eip-cni"], first.Changes.Where(c => c.Kind == InstallChangeKind.BinaryCopied).Select(c => Path.GetFileName(c.Path)));
        var before = NodeDirs.Snapshot(node.BinDir);

        var again = new ChainInstaller().Install(node.Options());

        Assert.Empty(again.Changes);
        Assert.Equal(before, NodeDirs.Snapshot(node.BinDir)); // same inode, mtime, ctime, mode, bytes
    }

    [Fact]
    public void A_different_binary_is_replaced_by_a_new_file_with_mode_0755()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", Terway);
        var target = Path.Combine(node.BinDir, "eip-cni");
        File.WriteAllText(target, "an older eip-cni");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, Libc.lstat(target, out var old));

        var outcome = new ChainInstaller().Install(node.Options());

        Assert.Contains(outcome.Changes, c => c.Kind == InstallChangeKind.BinaryCopied && c.Path == target);
        Assert.Equal(0, Libc.lstat(target, out var now));
        Assert.NotEqual(old.st_ino, now.st_ino); // renamed over, not written into
        Assert.Equal("0755", Libc.Octal(Libc.Mode(now)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(node.SourceDir, "eip-cni")), File.ReadAllBytes(target));
        Assert.DoesNotContain(Directory.EnumerateFiles(node.BinDir), f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Same_bytes_with_another_mode_are_replaced()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", Terway);
        new ChainInstaller().Install(node.Options());
        var target = Path.Combine(node.BinDir, "eip-cni-agent");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var outcome = new ChainInstaller().Install(node.Options());

        Assert.Equal([target], outcome.Changes.Select(c => c.Path));
        Assert.Equal("0755", Libc.Octal((uint)File.GetUnixFileMode(target)));
    }

    [Fact]
    public void A_binary_being_executed_is_replaced_and_keeps_running()
    {
        using var node = new NodeDirs();
        node.WriteConf("10-terway.conflist", Terway);
        File.Copy("/bin/sleep", Path.Combine(node.SourceDir, "eip-cni"), overwrite: true);
        new ChainInstaller().Install(node.Options());
        var target = Path.Combine(node.BinDir, "eip-cni");
        using var running = Process.Start(new ProcessStartInfo(target, "30") { UseShellExecute = false })!;
        try
        {
            Wait.Until(() => File.ReadAllText($"/proc/{running.Id}/comm").Trim() == "eip-cni", TimeSpan.FromSeconds(5), "the stand-in eip-cni to run");
            // What a copy in place would do: the kernel refuses to write a file that is being executed.
            var busy = Assert.Throws<IOException>(() => File.WriteAllBytes(target, [1, 2, 3]));
            Assert.Contains("busy", busy.Message, StringComparison.OrdinalIgnoreCase);
            File.Copy("/bin/true", Path.Combine(node.SourceDir, "eip-cni"), overwrite: true);

            var outcome = new ChainInstaller().Install(node.Options());

            Assert.Contains(outcome.Changes, c => c.Path == target);
            Assert.Equal(File.ReadAllBytes("/bin/true"), File.ReadAllBytes(target));
            Assert.False(running.HasExited);
        }
        finally
        {
            running.Kill();
            running.WaitForExit();
        }
    }
}

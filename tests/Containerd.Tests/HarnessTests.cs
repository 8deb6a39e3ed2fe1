using CriClient;

namespace ContainerdTests;

/// <summary>The harness itself: a test that ends with sandboxes still running leaves nothing behind.</summary>
public sealed class HarnessTests
{
    [ContainerdFact]
    public async Task Dispose_tears_down_running_sandboxes_the_daemon_its_shims_mounts_and_namespaces()
    {
        await using var node = new TestNode("10.252.7.0/24");
        var (recorder, net, ct) = (node.Recorder("cni-recorder"), node.Net, node.Ct);
        net.WriteChain(recorder.PluginConfig());
        await node.StartAsync();
        var ctrd = node.Containerd;
        string dir = ctrd.Dir, socket = ctrd.SocketPath;
        var pid = ctrd.Pid;
        var netns = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var id = await ctrd.Cri.RunPodSandboxAsync($"web-{i}", "default", Guid.NewGuid().ToString(), ct: ct);
            netns.Add((await ctrd.NetnsPathAsync(id, ct))!);
        }
        Assert.Equal(2, net.Reservations().Count);
        Assert.NotEmpty(Mounts(dir));

        await ctrd.DisposeAsync();

        Assert.Empty(net.Reservations()); // each sandbox went through DEL, as on a drained node
        Assert.Equal(["ADD", "ADD", "DEL", "DEL", "DEL", "DEL"], recorder.Verbs().Order().ToArray());
        Assert.All(netns, n => Assert.False(File.Exists(n), n));
        Assert.False(Directory.Exists(dir));
        Assert.Empty(Mounts(dir));
        Assert.False(File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains(dir));
        Assert.DoesNotContain(Directory.GetDirectories("/proc"), p => CmdlineOf(p).Contains(socket));
    }

    [ContainerdFact]
    public async Task Dispose_after_containerd_died_still_removes_its_containers_shims_mounts_and_namespaces()
    {
        await using var node = new TestNode("10.252.8.0/24");
        node.Net.WriteChain();
        await node.StartAsync();
        var (ctrd, ct) = (node.Containerd, node.Ct);
        string dir = ctrd.Dir, socket = ctrd.SocketPath;
        var id = await ctrd.Cri.RunPodSandboxAsync("web-0", "default", Guid.NewGuid().ToString(), ct: ct);
        var netns = (await ctrd.NetnsPathAsync(id, ct))!;
        var pause = Assert.Single(ContainersOf(socket));

        System.Diagnostics.Process.GetProcessById(ctrd.Pid).Kill(); // SIGKILL: no shutdown, shims and containers stay
        await ctrd.DisposeAsync();

        Assert.DoesNotContain(Directory.GetDirectories("/proc"), p => CmdlineOf(p).Contains(socket));
        Assert.False(Directory.Exists(pause), "the pause process outlived the harness");
        Assert.False(File.Exists(netns), netns);
        Assert.Empty(Mounts(dir));
        Assert.False(Directory.Exists(dir));
    }

    [ContainerdFact]
    public async Task A_conflist_the_CRI_cannot_load_fails_start_with_the_CRI_reason_and_leaves_nothing()
    {
        await using var node = new TestNode("10.252.13.0/24", new ContainerdOptions { StartTimeout = TimeSpan.FromSeconds(3) });
        File.WriteAllText(node.Net.ConflistPath, """{"cniVersion": "1.0.0", "plugins": []}""");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(node.StartAsync);

        Assert.Contains("NetworkReady", error.Message);
        Assert.Contains("cni plugin not initialized", error.Message);
        Assert.Contains("no name", error.Message); // from containerd's log, quoted in the message
        var dir = System.Text.RegularExpressions.Regex.Match(error.Message, @"containerd in (\S+) \(removed\)").Groups[1].Value;
        Assert.StartsWith("/tmp/eipcni-ctrd-", dir);
        Assert.False(Directory.Exists(dir));
        Assert.Empty(Mounts(dir));
    }

    private static string CmdlineOf(string procDir)
    {
        try { return File.ReadAllText(Path.Combine(procDir, "cmdline")); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    /// <summary>The containers (pause processes) whose shim serves the containerd on <paramref name="socket"/>.</summary>
    private static List<string> ContainersOf(string socket)
    {
        var shims = Directory.GetDirectories("/proc").Where(p => CmdlineOf(p).Contains(socket)).Select(Path.GetFileName).ToHashSet();
        return Directory.GetDirectories("/proc").Where(p =>
        {
            try { return File.ReadLines(Path.Combine(p, "status")).FirstOrDefault(l => l.StartsWith("PPid:")) is { } l && shims.Contains(l[5..].Trim()); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }).ToList();
    }

    private static List<string> Mounts(string dir) =>
        File.ReadLines("/proc/self/mountinfo").Where(l => l.Contains(dir, StringComparison.Ordinal)).ToList();
}

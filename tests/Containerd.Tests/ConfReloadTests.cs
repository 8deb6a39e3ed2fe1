using System.Diagnostics;
using CriClient;
using Xunit.Abstractions;

namespace ContainerdTests;

/// <summary>
/// How containerd follows the conf dir: what an installer that rewrites the conflist (temp file, then rename over the
/// target) can rely on.
/// </summary>
public sealed class ConfReloadTests(ITestOutputHelper output)
{
    [ContainerdFact]
    public async Task A_conflist_renamed_over_the_active_one_is_used_by_the_next_RunPodSandbox()
    {
        await using var node = new TestNode("10.252.5.0/24");
        var (a, b, net) = (node.Recorder("record-a"), node.Recorder("record-b"), node.Net);
        net.WriteChain(a.PluginConfig());
        var cri = await node.StartAsync();
        var ct = node.Ct;

        var first = await cri.RunPodSandboxAsync("web-0", "default", Guid.NewGuid().ToString(), ct: ct);
        Assert.Equal(["ADD"], a.Verbs());

        // A temporary file without a CNI extension is never loaded, however long it sits there.
        var staged = Path.Combine(net.ConfDir, ".tmp-staged");
        File.WriteAllText(staged, net.Conflist(b.PluginConfig()).ToJsonString());
        await Task.Delay(500, ct);
        Assert.Contains("record-a", await LoadedConfigAsync(cri, ct));
        File.Delete(staged);

        var clock = Stopwatch.StartNew();
        net.WriteChain(b.PluginConfig());
        while (!(await LoadedConfigAsync(cri, ct)).Contains("record-b")) await Task.Delay(5, ct);
        output.WriteLine($"the CRI showed the renamed conflist {clock.Elapsed.TotalMilliseconds:0} ms after the rename");

        var second = await cri.RunPodSandboxAsync("web-1", "default", Guid.NewGuid().ToString(), ct: ct);
        Assert.Equal(["ADD"], b.Verbs());
        Assert.Equal(second, b.Calls()[0].ContainerId);
        Assert.Equal(["ADD"], a.Verbs());

        // Teardown follows the config loaded now, not the one the sandbox was set up with.
        await cri.StopPodSandboxAsync(first, ct);
        output.WriteLine($"stopping the first sandbox: record-a saw {string.Join(",", a.Verbs())}, record-b saw {string.Join(",", b.Verbs())}");
        Assert.Equal(["ADD"], a.Verbs());
        Assert.Equal(["ADD", "DEL"], b.Verbs());
        Assert.Equal(first, b.Calls()[1].ContainerId);
    }

    [ContainerdFact]
    public async Task A_sandbox_run_right_after_the_rename_gets_the_new_chain_within_seconds()
    {
        await using var node = new TestNode("10.252.6.0/24");
        var (a, b, net) = (node.Recorder("record-a"), node.Recorder("record-b"), node.Net);
        net.WriteChain(a.PluginConfig());
        var cri = await node.StartAsync();
        var ct = node.Ct;

        // The reload runs on containerd's own goroutine after an inotify event: measure, do not assume, the gap.
        var clock = Stopwatch.StartNew();
        net.WriteChain(b.PluginConfig());
        var attempts = 0;
        while (b.Verbs().Count == 0)
        {
            attempts++;
            var id = await cri.RunPodSandboxAsync($"web-{attempts}", "default", Guid.NewGuid().ToString(), ct: ct);
            await cri.StopPodSandboxAsync(id, ct);
            await cri.RemovePodSandboxAsync(id, ct);
        }
        output.WriteLine($"sandboxes run before one got the new chain: {attempts}; {clock.Elapsed.TotalMilliseconds:0} ms after the rename; record-a saw {string.Join(",", a.Verbs())}");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [ContainerdFact]
    public async Task A_conflist_written_after_start_makes_the_network_ready()
    {
        await using var node = new TestNode("10.252.11.0/24", new ContainerdOptions { RequireNetworkReady = false });
        var cri = await node.StartAsync();
        var ready = await cri.NetworkReadyAsync(node.Ct);
        output.WriteLine($"empty conf dir: NetworkReady={ready?.Status} {ready?.Reason}: {ready?.Message}");
        Assert.False(ready?.Status);

        var clock = Stopwatch.StartNew();
        node.Net.WriteChain();
        await node.Containerd.WaitForNetworkReadyAsync(node.Ct);
        output.WriteLine($"NetworkReady {clock.Elapsed.TotalMilliseconds:0} ms after the conflist appeared");
        var id = await cri.RunPodSandboxAsync("web-0", "default", Guid.NewGuid().ToString(), ct: node.Ct);
        Assert.True(node.Net.Contains(await cri.PodIpAsync(id, node.Ct)));
    }

    /// <summary>The CNI config the CRI has loaded, as its verbose Status shows it.</summary>
    private static async Task<string> LoadedConfigAsync(CriRuntime cri, CancellationToken ct) =>
        (await cri.StatusAsync(verbose: true, ct)).Info.GetValueOrDefault("cniconfig", "");
}

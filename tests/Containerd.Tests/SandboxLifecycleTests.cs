using System.Diagnostics;
using CriClient;
using CriClient.Api;
using Xunit.Abstractions;

namespace ContainerdTests;

/// <summary>A pod sandbox's life through the CRI, on Debian's bridge + host-local: what a kubelet sees of the network.</summary>
public sealed class SandboxLifecycleTests(ITestOutputHelper output)
{
    [ContainerdFact]
    public async Task RunPodSandbox_takes_an_address_from_host_local_and_stop_gives_it_back()
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var net = new CniNetwork("10.252.1.0/24");
        net.WriteChain();
        await using var ctrd = await Containerd.StartAsync(net.BinDir, net.ConfDir, ct: budget.Token);
        output.WriteLine($"{ctrd.Version.RuntimeName} {ctrd.Version.RuntimeVersion} (CRI {ctrd.Version.RuntimeApiVersion}), snapshotter {ctrd.Snapshotter}, up in {ctrd.StartupTime.TotalMilliseconds:0} ms");

        var uid = Guid.NewGuid().ToString();
        var clock = Stopwatch.StartNew();
        var id = await ctrd.Cri.RunPodSandboxAsync("web-0", "default", uid, ct: budget.Token);
        output.WriteLine($"RunPodSandbox answered in {clock.ElapsedMilliseconds} ms");

        var status = (await ctrd.Cri.PodSandboxStatusAsync(id, ct: budget.Token)).Status;
        Assert.Equal(PodSandboxState.SandboxReady, status.State);
        Assert.Equal(uid, status.Metadata.Uid);
        Assert.True(net.Contains(status.Network.Ip), $"pod IP {status.Network.Ip} is not in {net.Subnet}");
        Assert.Equal(id, Assert.Contains(status.Network.Ip, net.Reservations()));
        var netns = await ctrd.NetnsPathAsync(id, budget.Token);
        Assert.NotNull(netns);
        Assert.True(File.Exists(netns), netns);
        Assert.Contains(await ctrd.Cri.ListPodSandboxAsync(ct: budget.Token), s => s.Id == id && s.State == PodSandboxState.SandboxReady);

        await ctrd.Cri.StopPodSandboxAsync(id, budget.Token);
        Assert.Empty(net.Reservations());
        Assert.Equal(PodSandboxState.SandboxNotready, (await ctrd.Cri.PodSandboxStatusAsync(id, ct: budget.Token)).Status.State);

        await ctrd.Cri.RemovePodSandboxAsync(id, budget.Token);
        Assert.DoesNotContain(await ctrd.Cri.ListPodSandboxAsync(ct: budget.Token), s => s.Id == id);
        Assert.False(File.Exists(netns), "the sandbox's network namespace outlived RemovePodSandbox");
    }

    [ContainerdFact]
    public async Task The_sandbox_image_is_the_local_one_and_never_pulled()
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var net = new CniNetwork("10.252.2.0/24");
        net.WriteChain();
        await using var ctrd = await Containerd.StartAsync(net.BinDir, net.ConfDir, ct: budget.Token);

        var image = await ctrd.Cri.ImageStatusAsync(PauseImage.Name, budget.Token);
        Assert.NotNull(image);
        Assert.Contains(PauseImage.Name, image.RepoTags);
        Assert.Contains(await ctrd.Cri.ListImagesAsync(budget.Token), i => i.Id == image.Id);
        Assert.DoesNotContain("PullImage", ctrd.ReadLog());
    }
}

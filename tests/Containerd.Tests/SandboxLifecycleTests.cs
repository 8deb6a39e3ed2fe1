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
        await using var node = new TestNode("10.252.1.0/24");
        node.Net.WriteChain();
        var cri = await node.StartAsync();
        var (ctrd, net, ct) = (node.Containerd, node.Net, node.Ct);
        output.WriteLine($"{ctrd.Version.RuntimeName} {ctrd.Version.RuntimeVersion} (CRI {ctrd.Version.RuntimeApiVersion}), snapshotter {ctrd.Snapshotter}, up in {ctrd.StartupTime.TotalMilliseconds:0} ms");

        var uid = Guid.NewGuid().ToString();
        var clock = Stopwatch.StartNew();
        var id = await cri.RunPodSandboxAsync("web-0", "default", uid, ct: ct);
        output.WriteLine($"RunPodSandbox answered in {clock.ElapsedMilliseconds} ms");

        var status = (await cri.PodSandboxStatusAsync(id, ct: ct)).Status;
        Assert.Equal(PodSandboxState.SandboxReady, status.State);
        Assert.Equal(uid, status.Metadata.Uid);
        Assert.True(net.Contains(status.Network.Ip), $"pod IP {status.Network.Ip} is not in {net.Subnet}");
        Assert.Equal(id, Assert.Contains(status.Network.Ip, net.Reservations()));
        var netns = await ctrd.NetnsPathAsync(id, ct);
        Assert.NotNull(netns);
        Assert.True(File.Exists(netns), netns);
        Assert.Contains(await cri.ListPodSandboxAsync(ct: ct), s => s.Id == id && s.State == PodSandboxState.SandboxReady);

        await cri.StopPodSandboxAsync(id, ct);
        Assert.Empty(net.Reservations());
        Assert.Equal(PodSandboxState.SandboxNotready, (await cri.PodSandboxStatusAsync(id, ct: ct)).Status.State);

        await cri.RemovePodSandboxAsync(id, ct);
        Assert.DoesNotContain(await cri.ListPodSandboxAsync(ct: ct), s => s.Id == id);
        Assert.False(File.Exists(netns), "the sandbox's network namespace outlived RemovePodSandbox");
    }

    [ContainerdFact]
    public async Task The_sandbox_image_is_the_local_one_and_never_pulled()
    {
        await using var node = new TestNode("10.252.2.0/24");
        node.Net.WriteChain();
        var cri = await node.StartAsync();
        var ct = node.Ct;

        var image = await cri.ImageStatusAsync(PauseImage.Name, ct);
        Assert.NotNull(image);
        Assert.Contains(PauseImage.Name, image.RepoTags);
        Assert.Contains(await cri.ListImagesAsync(ct), i => i.Id == image.Id);
        Assert.DoesNotContain("PullImage", node.Containerd.ReadLog());
    }

    [ContainerdFact]
    public async Task The_native_snapshotter_serves_where_overlayfs_cannot()
    {
        await using var node = new TestNode("10.252.10.0/24", new ContainerdOptions { Snapshotter = "native" });
        node.Net.WriteChain();
        var cri = await node.StartAsync();

        var id = await cri.RunPodSandboxAsync("web-0", "default", Guid.NewGuid().ToString(), ct: node.Ct);
        Assert.True(node.Net.Contains(await cri.PodIpAsync(id, node.Ct)));
        var snapshots = Path.Combine(node.Containerd.Dir, "root", "io.containerd.snapshotter.v1.native", "snapshots");
        Assert.NotEmpty(Directory.GetDirectories(snapshots)); // the image's layer and the sandbox's rootfs
    }
}

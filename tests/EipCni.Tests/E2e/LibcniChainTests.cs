using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.E2e;

/// <summary>eip-cni chained after bridge + host-local in a real network namespace, driven through libcni.</summary>
public class LibcniChainTests
{
    [Fact]
    public void A_pod_without_an_eip_lives_its_whole_life_through_the_real_chain()
    {
        using var chain = new CniChain();
        var caps = CniChain.PodAnnotations(("app", "web"));

        var add = chain.Cnitool("add", capArgs: caps);
        Assert.True(add.ExitCode == 0, add.Stderr + add.Stdout);
        var result = JsonNode.Parse(add.Stdout)!;
        Assert.Equal("1.0.0", result["cniVersion"]!.GetValue<string>());
        var address = result["ips"]![0]!["address"]!.GetValue<string>();
        Assert.StartsWith("10.250.0.", address);
        Assert.Contains(address, chain.PodAddresses());

        var check = chain.Cnitool("check", capArgs: caps);
        Assert.True(check.ExitCode == 0, check.Stderr);

        var del = chain.Cnitool("del", capArgs: caps);
        Assert.True(del.ExitCode == 0, del.Stderr);
        var again = chain.Cnitool("del", capArgs: caps);
        Assert.True(again.ExitCode == 0, again.Stderr);

        var gc = chain.Cnitool("gc", validAttachments: "[]");
        Assert.True(gc.ExitCode == 0, gc.Stderr);
        var status = chain.Cnitool("status");
        Assert.True(status.ExitCode == 0, status.Stderr);

        // Nothing left behind: no address in the pod, no IPAM reservation, no cached result, no journal record.
        Assert.DoesNotContain("10.250.0.", chain.PodAddresses());
        Assert.Empty(chain.IpamReservations());
        Assert.Empty(chain.CachedResults());
        Assert.True(!Directory.Exists(chain.StateDir) || Directory.GetFiles(chain.StateDir, "*.json", SearchOption.AllDirectories).Length == 0);

        // One log line per eip-cni call: ADD, CHECK, DEL, DEL, GC, STATUS.
        var lines = chain.LogLines();
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.Contains("\"level\":\"info\"", l));
    }

    [Fact]
    public void The_feature_on_and_a_pod_not_asking_passes_through()
    {
        using var chain = new CniChain();
        chain.WriteEniConf("""{"enable_eip_pool":"true","allow_eip_rob":"false"}""");
        var caps = CniChain.PodAnnotations(("app", "web"), ("k8s.aliyun.com/pod-with-eip", "false"));
        var add = chain.Cnitool("add", capArgs: caps);
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.Equal(0, chain.Cnitool("del", capArgs: caps).ExitCode);
        Assert.Empty(chain.IpamReservations());
    }

    [Fact]
    public void Gc_keeps_listed_attachments_and_releases_the_rest()
    {
        using var chain = new CniChain();
        var caps = CniChain.PodAnnotations(("app", "web"));
        Assert.Equal(0, chain.Cnitool("add", capArgs: caps).ExitCode);

        var keep = chain.Cnitool("gc", validAttachments: """[{"containerID":"pod-sandbox-1","ifname":"eth0"}]""");
        Assert.Equal(0, keep.ExitCode);
        Assert.Single(chain.IpamReservations());

        Assert.Equal(0, chain.Cnitool("gc", validAttachments: "[]").ExitCode);
        Assert.Empty(chain.IpamReservations());
        Assert.Empty(chain.CachedResults());
    }
}

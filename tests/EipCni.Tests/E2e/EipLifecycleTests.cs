using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.E2e;

/// <summary>A pod with pod-with-eip through the real chain against both simulators: bound before ADD returns, released on DEL.</summary>
public class EipLifecycleTests : IClassFixture<EipWorld>
{
    private readonly EipWorld _world;

    public EipLifecycleTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    [Fact]
    public void An_automatic_eip_is_bound_before_add_returns_and_released_on_del()
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string> { ["network.alibabacloud.com/pod-with-eip"] = "true" };
        _world.CreatePod("web-0", ann, readinessGate: true);
        var caps = CniChain.PodAnnotations(ann.Select(kv => (kv.Key, kv.Value)).ToArray());

        var add = chain.Cnitool("add", capArgs: caps);
        Assert.True(add.ExitCode == 0, add.Stderr + add.Stdout + string.Join("\n", chain.LogLines()));
        var podIp = JsonNode.Parse(add.Stdout)!["ips"]![0]!["address"]!.GetValue<string>().Split('/')[0];

        // Bound to the pod's ENI IP, InUse, tagged as ours, before ADD returned.
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("InUse", eip["status"]!.GetValue<string>());
        Assert.Equal(podIp, eip["privateIpAddress"]!.GetValue<string>());
        Assert.Equal(_world.PrimaryEniId, eip["instanceId"]!.GetValue<string>());
        Assert.Equal("c-e2e", eip["tags"]!["eip-cni.alibabacloud.com/cluster"]!.GetValue<string>());
        Assert.Equal("default/web-0", eip["tags"]!["eip-cni.alibabacloud.com/pod"]!.GetValue<string>());
        Assert.Equal("pod-sandbox-1", eip["tags"]!["eip-cni.alibabacloud.com/container-id"]!.GetValue<string>());
        Assert.Equal("PayByTraffic", eip["internetChargeType"]!.GetValue<string>());

        // Written back to the pod: both annotations, the readiness condition, a Normal event.
        var pod = _world.Pod("web-0");
        var address = eip["ipAddress"]!.GetValue<string>();
        Assert.Equal(address, pod["metadata"]!["annotations"]!["k8s.aliyun.com/allocated-eipAddress"]!.GetValue<string>());
        Assert.Equal(address, pod["metadata"]!["annotations"]!["network.alibabacloud.com/allocated-eipAddress"]!.GetValue<string>());
        var condition = pod["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "k8s.aliyun.com/eip")!;
        Assert.Equal("True", condition["status"]!.GetValue<string>());
        Assert.Contains(_world.KubeEvents(), e => e!["reason"]?.GetValue<string>() == "EipBound" && e["message"]!.GetValue<string>().Contains(address));
        // Annotations came from the runtime: the plugin never read the pod.
        Assert.DoesNotContain(_world.KubeRequests(), r => r!["method"]!.GetValue<string>() == "GET" && r["path"]!.GetValue<string>().Contains("/pods/"));

        Assert.Equal(0, chain.Cnitool("check", capArgs: caps).ExitCode);

        var del = chain.Cnitool("del", capArgs: caps);
        Assert.True(del.ExitCode == 0, del.Stderr);
        Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", e!["status"]!.GetValue<string>()));
        Assert.Equal(0, chain.Cnitool("del", capArgs: caps).ExitCode);
        Assert.DoesNotContain(Directory.GetFiles(chain.StateDir, "*.json", SearchOption.AllDirectories), f => !f.EndsWith("eni-cache.json"));

        // Secrets stay secret: not in the log (debug level), the journal and caches, the pod's events, or anything printed.
        var token = _world.Kube.Ready["token"]!.GetValue<string>();
        var everything = string.Join("\n", chain.LogLines()) + add.Stdout + add.Stderr + del.Stdout + del.Stderr
            + _world.KubeEvents().ToJsonString() + string.Concat(Directory.GetFiles(chain.StateDir, "*", SearchOption.AllDirectories).Select(File.ReadAllText));
        Assert.Contains("\"level\":\"debug\"", everything); // the most talkative level was on
        Assert.DoesNotContain(_world.AccessKeySecret, everything);
        Assert.DoesNotContain(token, everything);
        Assert.DoesNotContain("Signature=", everything);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the node's state dir was wiped: only the cloud's replay of the old ClientToken remains
    public void Adding_the_same_container_id_again_after_del_gets_a_new_eip(bool stateLost)
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string> { ["k8s.aliyun.com/pod-with-eip"] = "true" };
        _world.CreatePod("web-0", ann);
        var caps = CniChain.PodAnnotations(ann.Select(kv => (kv.Key, kv.Value)).ToArray());

        Assert.Equal(0, chain.Cnitool("add", capArgs: caps).ExitCode);
        var first = Assert.Single(_world.ApiEips())["allocationId"]!.GetValue<string>();
        Assert.Equal(0, chain.Cnitool("del", capArgs: caps).ExitCode);
        if (stateLost) Directory.Delete(chain.StateDir, recursive: true);

        var again = chain.Cnitool("add", capArgs: caps);
        Assert.True(again.ExitCode == 0, again.Stderr + string.Join("\n", chain.LogLines().TakeLast(20)));
        var live = _world.ApiEips().Where(e => e!["status"]!.GetValue<string>() != "Releasing").ToArray();
        var second = Assert.Single(live);
        Assert.NotEqual(first, second["allocationId"]!.GetValue<string>());
        Assert.Equal("InUse", second["status"]!.GetValue<string>());
        Assert.Equal(0, chain.Cnitool("del", capArgs: caps).ExitCode);
    }
}

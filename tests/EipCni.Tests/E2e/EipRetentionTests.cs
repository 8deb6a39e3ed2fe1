using System.Globalization;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.BehaviourSupport;

namespace EipCni.Tests.E2e;

/// <summary>pod-eip-release-strategy: Never and TTL keep a StatefulSet pod's EIP across sandboxes; GC releases expired ones; others follow the pod.</summary>
public class EipRetentionTests : IClassFixture<EipWorld>
{
    private const string Retained = "eip-cni.alibabacloud.com/retained";
    private const string ReleaseAfter = "eip-cni.alibabacloud.com/release-after";
    private readonly EipWorld _world;

    public EipRetentionTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    private static Dictionary<string, string> Keep(string strategy) => new()
    {
        ["network.alibabacloud.com/pod-with-eip"] = "true",
        ["network.alibabacloud.com/pod-eip-release-strategy"] = strategy,
    };

    private static string Attachments(params string[] containerIds) =>
        "[" + string.Join(",", containerIds.Select(c => $$"""{"containerID":"{{c}}","ifname":"eth0"}""")) + "]";

    [Fact]
    public void Never_keeps_the_eip_across_sandboxes_and_gc_never_releases_it()
    {
        using var chain = _world.Chain();
        var ann = Keep("Never");
        _world.CreatePod("db-0", ann, ownerKind: "StatefulSet");

        Succeeded(chain, chain.Cnitool("add", containerId: "sandbox-1", capArgs: Caps(ann), podName: "db-0"));
        var eip = Assert.Single(_world.ApiEips());
        var id = Str(eip, "allocationId");
        var address = Str(eip, "ipAddress");
        Assert.Equal("Never", Tag(eip, "eip-cni.alibabacloud.com/release-strategy"));
        Assert.Empty(Events(_world, "db-0", "EipAnnotationIgnored"));

        // DEL unbinds and keeps it, marked retained with no release time.
        Succeeded(chain, chain.Cnitool("del", containerId: "sandbox-1", capArgs: Caps(ann), podName: "db-0"));
        var kept = _world.Eip(id);
        Assert.Equal("Available", Str(kept, "status"));
        Assert.Equal("true", Tag(kept, Retained));
        Assert.Equal("", Tag(kept, ReleaseAfter));

        // GC, with or without a list, leaves a Never EIP alone.
        Succeeded(chain, chain.Cnitool("gc", validAttachments: "[]"));
        Succeeded(chain, chain.Cnitool("gc"));
        Assert.Equal("Available", Str(_world.Eip(id), "status"));

        // A new sandbox of the same pod gets the same EIP (and address) back.
        var again = chain.Cnitool("add", containerId: "sandbox-2", capArgs: Caps(ann), podName: "db-0");
        Succeeded(chain, again);
        var back = Assert.Single(_world.ApiEips());
        Assert.Equal(id, Str(back, "allocationId"));
        Assert.Equal("InUse", Str(back, "status"));
        Assert.Equal(PodIp(again), Str(back, "privateIpAddress"));
        Assert.Equal("false", Tag(back, Retained));
        Assert.Equal("sandbox-2", Tag(back, "eip-cni.alibabacloud.com/container-id"));
        Assert.Equal(address, Annotation(_world.Pod("db-0"), "network.alibabacloud.com/allocated-eipAddress"));
        Assert.Single(Actions(_world.MutatingCloudRequests()), a => a == "AllocateEipAddress");

        Succeeded(chain, chain.Cnitool("del", containerId: "sandbox-2", capArgs: Caps(ann), podName: "db-0"));
        Succeeded(chain, chain.Cnitool("gc", validAttachments: "[]"));
        Assert.Equal("Available", Str(_world.Eip(id), "status"));
        Assert.DoesNotContain("ReleaseEipAddress", Actions(_world.MutatingCloudRequests()));
    }

    [Fact]
    public void A_ttl_keeps_the_eip_until_it_passes_then_gc_releases_it()
    {
        using var chain = _world.Chain();
        using var live = new Netns();
        var ann = Keep("3s");
        _world.CreatePod("db-0", ann, ownerKind: "StatefulSet");
        var follow = new Dictionary<string, string> { ["network.alibabacloud.com/pod-with-eip"] = "true" };
        _world.CreatePod("web-0", follow, ownerKind: "ReplicaSet");

        // No runtime annotations: the plugin reads the pod (and its owner) from the API server.
        Succeeded(chain, chain.Cnitool("add", containerId: "sandbox-1", podName: "db-0"));
        var id = Str(Assert.Single(_world.ApiEips()), "allocationId");
        Assert.Equal("3s", Tag(_world.Eip(id), "eip-cni.alibabacloud.com/release-strategy"));

        var delAt = DateTimeOffset.UtcNow;
        Succeeded(chain, chain.Cnitool("del", containerId: "sandbox-1", podName: "db-0"));
        var kept = _world.Eip(id);
        Assert.Equal("Available", Str(kept, "status"));
        Assert.Equal("true", Tag(kept, Retained));
        var after = DateTimeOffset.Parse(Tag(kept, ReleaseAfter), CultureInfo.InvariantCulture);
        Assert.InRange(after, delAt.AddSeconds(1), DateTimeOffset.UtcNow.AddSeconds(4));

        // A new sandbox within the TTL gets it back; the release time is cleared.
        Succeeded(chain, chain.Cnitool("add", containerId: "sandbox-2", podName: "db-0"));
        var back = Assert.Single(_world.ApiEips());
        Assert.Equal(id, Str(back, "allocationId"));
        Assert.Equal("InUse", Str(back, "status"));
        Assert.Equal("", Tag(back, ReleaseAfter));

        // Another pod stays live through GC.
        var liveAdd = chain.Cnitool("add", containerId: "sandbox-live", podName: "web-0", netnsPath: live.Path);
        Succeeded(chain, liveAdd);
        var liveId = Str(_world.ApiEips().Single(e => Str(e, "allocationId") != id), "allocationId");

        Succeeded(chain, chain.Cnitool("del", containerId: "sandbox-2", podName: "db-0"));
        kept = _world.Eip(id);
        Assert.Equal("Available", Str(kept, "status"));
        after = DateTimeOffset.Parse(Tag(kept, ReleaseAfter), CultureInfo.InvariantCulture);

        // Before the TTL is over GC keeps it.
        var gcAt = DateTimeOffset.UtcNow;
        Succeeded(chain, chain.Cnitool("gc", validAttachments: Attachments("sandbox-live")));
        if (gcAt < after) Assert.Equal("Available", Str(_world.Eip(id), "status")); // the TTL is short: only when GC really ran early

        // After it, GC releases it, and the live attachment keeps its EIP.
        var wait = after - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.2); // the tag has whole seconds
        if (wait > TimeSpan.Zero) Thread.Sleep(wait);
        Succeeded(chain, chain.Cnitool("gc", validAttachments: Attachments("sandbox-live")));
        var gone = _world.ApiEips().SingleOrDefault(e => Str(e, "allocationId") == id);
        Assert.True(gone is null || Str(gone, "status") == "Releasing", gone?.ToJsonString());
        var liveEip = _world.Eip(liveId);
        Assert.Equal("InUse", Str(liveEip, "status"));
        Assert.Equal(PodIp(liveAdd), Str(liveEip, "privateIpAddress"));
    }

    [Fact]
    public void On_a_deployment_pod_the_strategy_is_follow_with_a_warning_and_del_releases()
    {
        using var chain = _world.Chain();
        var ann = Keep("Never");
        _world.CreatePod("web-0", ann, ownerKind: "ReplicaSet");

        Succeeded(chain, chain.Cnitool("add", capArgs: Caps(ann)));
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("Follow", Tag(eip, "eip-cni.alibabacloud.com/release-strategy"));
        var warning = Assert.Single(Events(_world, "web-0", "EipAnnotationIgnored"));
        Assert.Equal("Warning", Str(warning, "type"));
        Assert.Contains("pod-eip-release-strategy", Str(warning, "message"));
        Assert.Contains("ReplicaSet", Str(warning, "message"));

        Succeeded(chain, chain.Cnitool("del", capArgs: Caps(ann)));
        Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", Str(e, "status")));
    }

    [Fact]
    public void A_ttl_on_a_deployment_owned_pod_read_from_the_api_server_follows_the_pod()
    {
        using var chain = _world.Chain();
        var ann = Keep("10m");
        _world.CreatePod("web-0", ann, ownerKind: "Deployment");

        Succeeded(chain, chain.Cnitool("add"));
        Assert.Equal("Follow", Tag(Assert.Single(_world.ApiEips()), "eip-cni.alibabacloud.com/release-strategy"));
        Assert.Contains("Deployment", Str(Assert.Single(Events(_world, "web-0", "EipAnnotationIgnored")), "message"));
        Succeeded(chain, chain.Cnitool("del"));
        Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", Str(e, "status")));
    }
}

using System.Text.Json.Nodes;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.BehaviourSupport;

namespace EipCni.Tests.E2e;

/// <summary>pod-eip-instanceid: the user's own EIP is bound, never created, modified or released; rob rules of docs/design.md §5.</summary>
public class EipUserSpecifiedTests : IClassFixture<EipWorld>
{
    private static readonly string[] CreatingOrChanging =
        ["AllocateEipAddress", "ReleaseEipAddress", "TagResources", "AddCommonBandwidthPackageIp", "RemoveCommonBandwidthPackageIp"];

    private readonly EipWorld _world;

    public EipUserSpecifiedTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    private static Dictionary<string, string> Wants(string id, string key = "network.alibabacloud.com/pod-eip-instanceid") => new() { [key] = id };

    private static void Unchanged(JsonNode before, JsonNode after)
    {
        foreach (var field in new[] { "ipAddress", "name", "description", "internetChargeType", "chargeType", "isp", "resourceGroupId", "bandwidthPackageId" })
            Assert.Equal(before[field]?.ToJsonString(), after[field]?.ToJsonString());
        Assert.Equal(before["bandwidth"]!.GetValue<int>(), after["bandwidth"]!.GetValue<int>());
        Assert.Equal(before["tags"]!.ToJsonString(), after["tags"]!.ToJsonString());
    }

    [Fact]
    public void A_free_user_eip_is_bound_and_only_unbound_on_del()
    {
        using var chain = _world.Chain();
        var id = _world.SeedEipId;
        var before = _world.Eip(id);
        Assert.Equal("Available", Str(before, "status"));
        var ann = Wants(id);
        _world.CreatePod("web-0", ann);

        var add = chain.Cnitool("add", capArgs: Caps(ann));
        Succeeded(chain, add);
        var bound = _world.Eip(id);
        Assert.Equal("InUse", Str(bound, "status"));
        Assert.Equal(_world.PrimaryEniId, Str(bound, "instanceId"));
        Assert.Equal(PodIp(add), Str(bound, "privateIpAddress"));
        Assert.Equal(Str(before, "ipAddress"), Annotation(_world.Pod("web-0"), "network.alibabacloud.com/allocated-eipAddress"));
        Assert.Empty(_world.ApiEips());
        Unchanged(before, bound);
        Succeeded(chain, chain.Cnitool("check", capArgs: Caps(ann)));

        Succeeded(chain, chain.Cnitool("del", capArgs: Caps(ann)));
        // DEL asks for the unbind and does not wait for it; the EIP is the user's and stays.
        Eventually(() => Str(_world.Eip(id), "status") == "Available", "the user EIP to be Available after DEL");
        var after = _world.Eip(id);
        Unchanged(before, after);
        Assert.Empty(Actions(_world.MutatingCloudRequests()).Intersect(CreatingOrChanging));
        Assert.Equal(new[] { "AssociateEipAddress", "UnassociateEipAddress" }, Actions(_world.MutatingCloudRequests().Where(r => Str(r, "code").Length == 0)));
    }

    [Fact]
    public void An_eip_already_bound_to_the_pod_ip_costs_no_mutating_call_compat_name()
    {
        using var chain = _world.Chain();
        // A fresh chain's host-local hands out the first address of its range, 10.250.0.2, to the first sandbox.
        var eip = _world.CreateUserEip(_world.PrimaryEniId, "10.250.0.2");
        var id = Str(eip, "allocationId");
        var ann = Wants(id, "k8s.aliyun.com/eci-eip-instanceid");
        _world.CreatePod("web-0", ann);

        var add = chain.Cnitool("add", capArgs: Caps(ann));
        Succeeded(chain, add);
        Assert.Equal("10.250.0.2", PodIp(add));
        Assert.Empty(_world.MutatingCloudRequests());
        Assert.Equal("InUse", Str(_world.Eip(id), "status"));
        Assert.Equal(Str(eip, "ipAddress"), Annotation(_world.Pod("web-0"), "k8s.aliyun.com/allocated-eipAddress"));
        Assert.Single(Events(_world, "web-0", "EipBound"));
    }

    [Fact]
    public void An_eip_bound_elsewhere_is_refused_without_rob_naming_the_holder()
    {
        using var chain = _world.Chain(allowRob: false);
        var eip = _world.CreateUserEip(_world.PrimaryEniId, "10.250.0.30");
        var id = Str(eip, "allocationId");
        var ann = Wants(id);
        _world.CreatePod("web-0", ann);

        var failure = Failure(chain, chain.Cnitool("add", capArgs: Caps(ann)));
        Assert.Equal(103, failure.Code);
        Assert.Contains(id, failure.Msg);
        Assert.Contains(_world.PrimaryEniId, failure.Details);
        Assert.Contains("10.250.0.30", failure.Details);
        Assert.Contains("allow_eip_rob", failure.Details);
        Assert.Contains("10.250.0.30", failure.Stderr); // what kubelet shows the user

        // Nothing changed: the holder keeps it, no cloud mutation, the pod is told why.
        var after = _world.Eip(id);
        Assert.Equal("InUse", Str(after, "status"));
        Assert.Equal("10.250.0.30", Str(after, "privateIpAddress"));
        Assert.Empty(_world.MutatingCloudRequests());
        var warning = Assert.Single(Events(_world, "web-0", "EipFailed"));
        Assert.Equal("Warning", Str(warning, "type"));
        Assert.Contains("10.250.0.30", Str(warning, "message"));
        Assert.Null(Annotation(_world.Pod("web-0"), "k8s.aliyun.com/allocated-eipAddress"));
    }

    [Fact]
    public void With_rob_the_eip_is_taken_and_the_old_holders_del_leaves_it_alone()
    {
        using var chain = _world.Chain(allowRob: true);
        using var second = new Netns();
        var secondaryEni = _world.Enis[1]!["networkInterfaceId"]!.GetValue<string>();
        var eip = _world.CreateUserEip(secondaryEni, "10.250.1.5"); // held by another ENI of the instance
        var id = Str(eip, "allocationId");
        var ann = Wants(id);
        _world.CreatePod("web-0", ann);
        _world.CreatePod("web-1", ann);

        // web-0 takes it from the secondary ENI.
        var first = chain.Cnitool("add", containerId: "sandbox-a", capArgs: Caps(ann), podName: "web-0");
        Succeeded(chain, first);
        var ipA = PodIp(first);
        var now = _world.Eip(id);
        Assert.Equal("InUse", Str(now, "status"));
        Assert.Equal(_world.PrimaryEniId, Str(now, "instanceId"));
        Assert.Equal(ipA, Str(now, "privateIpAddress"));

        // web-1 (another sandbox, another IP) takes it from web-0.
        var robber = chain.Cnitool("add", containerId: "sandbox-b", capArgs: Caps(ann), podName: "web-1", netnsPath: second.Path);
        Succeeded(chain, robber);
        var ipB = PodIp(robber);
        Assert.NotEqual(ipA, ipB);
        now = _world.Eip(id);
        Assert.Equal("InUse", Str(now, "status"));
        Assert.Equal(ipB, Str(now, "privateIpAddress"));
        Assert.Equal(Str(eip, "ipAddress"), Annotation(_world.Pod("web-1"), "network.alibabacloud.com/allocated-eipAddress"));

        // The robbed sandbox's DEL succeeds and does not touch the robber's binding. (No CHECK here: with two
        // sandboxes on one bridge the bridge plugin's own CHECK fails on the bridge MAC before eip-cni runs.)
        var mutationsBefore = _world.MutatingCloudRequests().Length;
        Succeeded(chain, chain.Cnitool("del", containerId: "sandbox-a", capArgs: Caps(ann), podName: "web-0"));
        now = _world.Eip(id);
        Assert.Equal("InUse", Str(now, "status"));
        Assert.Equal(ipB, Str(now, "privateIpAddress"));
        Assert.Equal(mutationsBefore, _world.MutatingCloudRequests().Length);

        // The robber's DEL unbinds; the EIP is the user's, so it stays.
        Succeeded(chain, chain.Cnitool("del", containerId: "sandbox-b", capArgs: Caps(ann), podName: "web-1", netnsPath: second.Path));
        Eventually(() => Str(_world.Eip(id), "status") == "Available", "the user EIP to be Available after DEL");
        Assert.Empty(Actions(_world.MutatingCloudRequests()).Intersect(CreatingOrChanging));
    }

    [Fact]
    public void An_unknown_eip_id_fails_with_105_and_nothing_is_created()
    {
        using var chain = _world.Chain();
        var ann = Wants("eip-bp1doesnotexist00");
        _world.CreatePod("web-0", ann);

        var failure = Failure(chain, chain.Cnitool("add", capArgs: Caps(ann)));
        Assert.Equal(105, failure.Code);
        Assert.Contains("eip-bp1doesnotexist00", failure.Msg);
        Assert.Empty(_world.MutatingCloudRequests());
        Assert.Empty(_world.ApiEips());
        Assert.Contains("eip-bp1doesnotexist00", Str(Assert.Single(Events(_world, "web-0", "EipFailed")), "message"));
    }

    [Fact]
    public void Creation_only_annotations_are_ignored_for_a_user_eip_with_a_warning_event()
    {
        using var chain = _world.Chain();
        var id = _world.SeedEipId;
        var before = _world.Eip(id);
        var ann = new Dictionary<string, string>
        {
            ["k8s.aliyun.com/pod-eip-instanceid"] = id,
            ["network.alibabacloud.com/pod-with-eip"] = "true",
            ["network.alibabacloud.com/eip-bandwidth"] = "50",
            ["k8s.aliyun.com/eip-name"] = "renamed",
            ["network.alibabacloud.com/eip-tags"] = """{"team":"web"}""",
            ["network.alibabacloud.com/eip-common-bandwidth-package-id"] = _world.BandwidthPackageId,
            ["network.alibabacloud.com/pod-eip-release-strategy"] = "Never",
        };
        _world.CreatePod("web-0", ann);

        Succeeded(chain, chain.Cnitool("add", capArgs: Caps(ann)));
        var bound = _world.Eip(id);
        Assert.Equal("InUse", Str(bound, "status"));
        Unchanged(before, bound);
        Assert.Empty(_world.ApiEips());
        Assert.Empty(Actions(_world.MutatingCloudRequests()).Intersect(CreatingOrChanging));

        var warning = Assert.Single(Events(_world, "web-0", "EipAnnotationIgnored"));
        Assert.Equal("Warning", Str(warning, "type"));
        var message = Str(warning, "message");
        foreach (var key in new[] { "network.alibabacloud.com/eip-bandwidth", "k8s.aliyun.com/eip-name", "network.alibabacloud.com/eip-tags",
                     "network.alibabacloud.com/eip-common-bandwidth-package-id", "network.alibabacloud.com/pod-eip-release-strategy" })
            Assert.Contains(key, message);

        // Never on a user EIP is ignored too: DEL unbinds and never releases.
        Succeeded(chain, chain.Cnitool("del", capArgs: Caps(ann)));
        Eventually(() => Str(_world.Eip(id), "status") == "Available", "the user EIP to be Available after DEL");
        Unchanged(before, _world.Eip(id));
    }
}

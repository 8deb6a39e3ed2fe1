using System.Text.Json.Nodes;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.BehaviourSupport;

namespace EipCni.Tests.E2e;

/// <summary>Each creation annotation of the README's "Pod annotations" table, seen on the EIP the cloud simulator holds after ADD (both prefixes, compat names, precedence).</summary>
public class EipAnnotationTests : IClassFixture<EipWorld>
{
    private const string New = "network.alibabacloud.com/";
    private const string Old = "k8s.aliyun.com/";
    private readonly EipWorld _world;

    public EipAnnotationTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    private JsonNode AddAndGetEip(CniChain chain, Dictionary<string, string> ann, string pod = "web-0")
    {
        _world.CreatePod(pod, ann);
        var add = chain.Cnitool("add", capArgs: Caps(ann), podName: pod);
        Succeeded(chain, add);
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("InUse", Str(eip, "status"));
        Assert.Equal(PodIp(add), Str(eip, "privateIpAddress"));
        return eip;
    }

    [Fact]
    public void Creation_annotations_under_the_new_prefix_shape_the_new_eip()
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string>
        {
            [New + "pod-with-eip"] = "true",
            [New + "eip-bandwidth"] = "20",
            [New + "eip-internet-charge-type"] = "PayByBandwidth",
            [New + "eip-instance-charge-type"] = "PostPaid",
            [New + "eip-isp"] = "BGP_PRO",
            [New + "eip-resource-group-id"] = "rg-acfmweb01",
            [New + "eip-name"] = "web frontend",
            [New + "eip-description"] = "public face of the web tier",
            [New + "eip-security-protection-types"] = "AntiDDoS_Enhanced",
            [New + "eip-tags"] = """{"team":"web","cost-center":"cc-42"}""",
        };
        var eip = AddAndGetEip(chain, ann);

        Assert.Equal(20, eip["bandwidth"]!.GetValue<int>());
        Assert.Equal("PayByBandwidth", Str(eip, "internetChargeType"));
        Assert.Equal("PostPaid", Str(eip, "chargeType"));
        Assert.Equal("BGP_PRO", Str(eip, "isp"));
        Assert.Equal("rg-acfmweb01", Str(eip, "resourceGroupId"));
        Assert.Equal("web frontend", Str(eip, "name"));
        Assert.Equal("public face of the web tier", Str(eip, "description"));
        Assert.Equal(new[] { "AntiDDoS_Enhanced" }, eip["securityProtectionTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        // User tags sit beside the ownership tags; neither replaces the other.
        Assert.Equal("web", Tag(eip, "team"));
        Assert.Equal("cc-42", Tag(eip, "cost-center"));
        Assert.Equal("c-e2e", Tag(eip, "eip-cni.alibabacloud.com/cluster"));
        Assert.Equal("default/web-0", Tag(eip, "eip-cni.alibabacloud.com/pod"));
        Assert.Equal("pod-sandbox-1", Tag(eip, "eip-cni.alibabacloud.com/container-id"));
        Assert.Equal("Follow", Tag(eip, "eip-cni.alibabacloud.com/release-strategy"));
        Assert.Empty(Events(_world, "web-0", "EipAnnotationIgnored"));

        Succeeded(chain, chain.Cnitool("del", capArgs: Caps(ann)));
        Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", Str(e, "status")));
    }

    [Fact]
    public void The_old_prefix_and_the_compat_names_work_alone()
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string>
        {
            ["k8s.aliyun.com/eci-with-eip"] = "true",
            ["k8s.aliyun.com/eip-charge-type"] = "PayByBandwidth",
            [Old + "eip-bandwidth"] = "350", // above PayByTraffic's 200: only valid because the compat charge type applied
            [Old + "eip-public-ip-address-pool-id"] = "pippool-bp1web",
            [Old + "eip-isp"] = "ChinaTelecom",
            [Old + "eip-name"] = "legacy-name",
            [Old + "eip-tags"] = """{"owner":"legacy"}""",
        };
        var eip = AddAndGetEip(chain, ann);

        Assert.Equal("PayByBandwidth", Str(eip, "internetChargeType"));
        Assert.Equal(350, eip["bandwidth"]!.GetValue<int>());
        Assert.Equal("pippool-bp1web", Str(eip, "publicIpAddressPoolId"));
        Assert.Equal("ChinaTelecom", Str(eip, "isp"));
        Assert.Equal("legacy-name", Str(eip, "name"));
        Assert.Equal("legacy", Tag(eip, "owner"));
        Assert.Equal("c-e2e", Tag(eip, "eip-cni.alibabacloud.com/cluster"));
        Assert.Equal(Str(eip, "ipAddress"), Annotation(_world.Pod("web-0"), "k8s.aliyun.com/allocated-eipAddress"));
    }

    [Fact]
    public void The_new_prefix_wins_over_the_old_one_which_wins_over_the_compat_name()
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string>
        {
            [Old + "pod-with-eip"] = "true",
            [New + "eip-bandwidth"] = "12",
            [Old + "eip-bandwidth"] = "30",
            [New + "eip-internet-charge-type"] = "PayByTraffic",
            [Old + "eip-internet-charge-type"] = "PayByBandwidth",
            ["k8s.aliyun.com/eip-charge-type"] = "PayByBandwidth",
            [Old + "eip-name"] = "old-name",
            [New + "eip-name"] = "new-name",
            // No new-prefix spelling here: the old prefix beats the compat name.
            [Old + "eip-description"] = "from the old prefix",
        };
        var eip = AddAndGetEip(chain, ann);

        Assert.Equal(12, eip["bandwidth"]!.GetValue<int>());
        Assert.Equal("PayByTraffic", Str(eip, "internetChargeType"));
        Assert.Equal("new-name", Str(eip, "name"));
        Assert.Equal("from the old prefix", Str(eip, "description"));
        // The user is told which spelling lost.
        var warning = Assert.Single(Events(_world, "web-0", "EipAnnotationIgnored"));
        Assert.Equal("Warning", Str(warning, "type"));
        Assert.Contains(Old + "eip-bandwidth", Str(warning, "message"));
        Assert.Contains("k8s.aliyun.com/eip-charge-type", Str(warning, "message"));
    }

    [Fact]
    public void Defaults_apply_and_the_bandwidth_package_is_left_before_release()
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string>
        {
            [New + "pod-with-eip"] = "true",
            [New + "eip-common-bandwidth-package-id"] = _world.BandwidthPackageId,
        };
        var eip = AddAndGetEip(chain, ann);
        Assert.Equal(_world.BandwidthPackageId, Str(eip, "bandwidthPackageId"));
        Assert.Equal(5, eip["bandwidth"]!.GetValue<int>());
        Assert.Equal("PayByTraffic", Str(eip, "internetChargeType"));
        Assert.Equal("PostPaid", Str(eip, "chargeType"));
        Assert.Equal("BGP", Str(eip, "isp"));
        var id = Str(eip, "allocationId");

        Succeeded(chain, chain.Cnitool("del", capArgs: Caps(ann)));
        // The simulator refuses to release an EIP still in a package, so Releasing (or gone) proves it left first.
        var after = _world.ApiEips().SingleOrDefault(e => Str(e, "allocationId") == id);
        Assert.True(after is null || Str(after, "status") == "Releasing", after?.ToJsonString());
        var requests = _world.CloudRequests().Select(r => r!).ToArray();
        Assert.DoesNotContain(requests, r => Str(r, "code") == "OperationUnsupported.EipInCbwp");
        var actions = Actions(requests.Where(r => r["mutating"]!.GetValue<bool>() && Str(r, "code").Length == 0));
        var remove = Array.IndexOf(actions, "RemoveCommonBandwidthPackageIp");
        var release = Array.IndexOf(actions, "ReleaseEipAddress");
        Assert.True(remove >= 0 && release > remove, string.Join(",", actions));
    }
}

using EipCni.Tests.Support;
using static EipCni.Tests.E2e.BehaviourSupport;

namespace EipCni.Tests.E2e;

/// <summary>
/// Every annotation with invalid values: ADD fails with CNI error 7 naming the key, a Warning event on the pod, and the
/// cloud never hears of it (README, "Pod annotations": validated before any cloud call).
/// </summary>
public class EipInvalidAnnotationTests : IClassFixture<EipWorld>
{
    private const string New = "network.alibabacloud.com/";
    private const string Old = "k8s.aliyun.com/";
    private readonly EipWorld _world;

    public EipInvalidAnnotationTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    /// <summary>(key, invalid value); the pod also asks for an EIP unless the key itself is the ask.</summary>
    public static TheoryData<string, string> Invalid() => new()
    {
        { New + "pod-with-eip", "yes" },
        { New + "pod-with-eip", "" },
        { Old + "pod-with-eip", "1" },
        { "k8s.aliyun.com/eci-with-eip", "on" },
        { New + "eip-bandwidth", "0" },
        { New + "eip-bandwidth", "fast" },
        { Old + "eip-bandwidth", "201" }, // above PayByTraffic's limit
        { Old + "eip-bandwidth", "-5" },
        { New + "eip-bandwidth", "5.5" },
        { New + "eip-internet-charge-type", "PayByHour" },
        { Old + "eip-internet-charge-type", "" },
        { "k8s.aliyun.com/eip-charge-type", "Traffic" },
        { New + "eip-instance-charge-type", "Monthly" },
        { Old + "eip-instance-charge-type", "prepaid" },
        { New + "eip-common-bandwidth-package-id", "pkg-123" },
        { Old + "eip-common-bandwidth-package-id", "cbwp-UPPER" },
        { New + "eip-isp", "CMCC" },
        { Old + "eip-isp", "BGP PRO" },
        { New + "eip-public-ip-address-pool-id", "pool-1" },
        { Old + "eip-public-ip-address-pool-id", "pippool-" },
        { New + "eip-resource-group-id", "group1" },
        { Old + "eip-resource-group-id", "rg-Has Space" },
        { New + "eip-name", "http://example.com" },
        { Old + "eip-name", new string('n', 129) },
        { New + "eip-name", "line\nbreak" },
        { New + "eip-description", "https://example.com/about" },
        { Old + "eip-description", new string('d', 257) },
        { New + "eip-security-protection-types", "AntiDDoS_Super" },
        { Old + "eip-security-protection-types", "AntiDDoS_Enhanced,AntiDDoS_Enhanced" },
        { New + "eip-security-protection-types", "," },
        { New + "eip-tags", "team=web" },
        { New + "eip-tags", """["team","web"]""" },
        { Old + "eip-tags", """{"team":1}""" },
        { Old + "eip-tags", """{"aliyun:owner":"x"}""" },
        { New + "eip-tags", """{"eip-cni.alibabacloud.com/cluster":"other"}""" },
        { New + "pod-eip-instanceid", "i-bp1abc" },
        { Old + "pod-eip-instanceid", "eip-UPPER" },
        { "k8s.aliyun.com/eci-eip-instanceid", "eip_under" },
        { New + "pod-eip-release-strategy", "Always" },
        { Old + "pod-eip-release-strategy", "-5m" },
        { New + "pod-eip-release-strategy", "500ms" },
        { Old + "pod-eip-release-strategy", "9000h" },
    };

    private static bool IsAsk(string key) => key.EndsWith("pod-with-eip") || key.EndsWith("eci-with-eip") || key.EndsWith("instanceid");

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_value_fails_add_with_code_7_naming_the_key_before_any_cloud_call(string key, string value)
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string> { [key] = value };
        if (!IsAsk(key)) ann["network.alibabacloud.com/pod-with-eip"] = "true";
        _world.CreatePod("web-0", ann);

        var failure = Failure(chain, chain.Cnitool("add", capArgs: Caps(ann)));
        Assert.Equal(7, failure.Code);
        Assert.Contains(key, failure.Msg);
        Assert.Contains(key, failure.Stderr); // what kubelet's sandbox error shows
        var warning = Assert.Single(Events(_world, "web-0", "EipInvalidAnnotation"));
        Assert.Equal("Warning", Str(warning, "type"));
        Assert.Contains(key, Str(warning, "message"));
        Assert.Empty(_world.MutatingCloudRequests());
        Assert.Empty(_world.CloudRequests());
        Assert.Empty(_world.ApiEips());
    }

    [Theory]
    [InlineData("network.alibabacloud.com/eip-bandwidth", "abc")]
    [InlineData("k8s.aliyun.com/eip-tags", "{not json")]
    public void Annotations_read_from_the_api_server_are_validated_the_same_way(string key, string value)
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string> { ["k8s.aliyun.com/pod-with-eip"] = "true", [key] = value };
        _world.CreatePod("web-0", ann);

        var failure = Failure(chain, chain.Cnitool("add")); // no runtime annotations: the plugin GETs the pod
        Assert.Equal(7, failure.Code);
        Assert.Contains(key, failure.Msg);
        Assert.Contains(value, failure.Details);
        Assert.Contains(key, Str(Assert.Single(Events(_world, "web-0", "EipInvalidAnnotation")), "message"));
        Assert.Empty(_world.CloudRequests());
    }

    [Fact]
    public void PrePaid_is_refused_with_a_clear_reason()
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string>
        {
            ["network.alibabacloud.com/pod-with-eip"] = "true",
            ["network.alibabacloud.com/eip-instance-charge-type"] = "PrePaid",
        };
        _world.CreatePod("web-0", ann);

        var failure = Failure(chain, chain.Cnitool("add", capArgs: Caps(ann)));
        Assert.Equal(7, failure.Code);
        Assert.Contains("network.alibabacloud.com/eip-instance-charge-type", failure.Msg);
        Assert.Contains("PrePaid", failure.Details);
        Assert.Contains("PostPaid", failure.Details); // what is allowed
        Assert.Empty(_world.CloudRequests());
        Assert.Single(Events(_world, "web-0", "EipInvalidAnnotation"));
    }

    [Fact]
    public void A_pod_not_asking_passes_even_with_a_broken_eip_annotation()
    {
        using var chain = _world.Chain();
        var ann = new Dictionary<string, string>
        {
            ["network.alibabacloud.com/eip-bandwidth"] = "lots",
            ["k8s.aliyun.com/pod-with-eip"] = "false",
            ["network.alibabacloud.com/pod-eip-instanceid"] = "", // a template default, not a request
        };
        _world.CreatePod("web-0", ann);

        var add = chain.Cnitool("add", capArgs: Caps(ann));
        Succeeded(chain, add);
        Assert.StartsWith("10.250.0.", PodIp(add));
        Assert.Empty(_world.CloudRequests());
        Assert.Empty(_world.KubeEvents());
        Assert.Null(Annotation(_world.Pod("web-0"), "k8s.aliyun.com/allocated-eipAddress"));
        Succeeded(chain, chain.Cnitool("del", capArgs: Caps(ann)));
    }
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.BehaviourSupport;

namespace EipCni.Tests.E2e;

/// <summary>What the API server sees: where annotations come from, the readiness condition, events, and write-back failures.</summary>
public class EipKubeTests : IClassFixture<EipWorld>
{
    private static readonly Dictionary<string, string> Asks = new() { ["network.alibabacloud.com/pod-with-eip"] = "true" };
    private readonly EipWorld _world;

    public EipKubeTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    [Fact]
    public void Annotations_from_the_runtime_mean_no_pod_read()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", Asks);

        Succeeded(chain, chain.Cnitool("add", capArgs: Caps(Asks)));
        Assert.Equal("InUse", Str(Assert.Single(_world.ApiEips()), "status"));
        var calls = KubeCalls(_world);
        // The pod is never read; the only GET allowed is the connection warm-up on /version (no pod data, no RBAC).
        Assert.DoesNotContain(calls, c => c.StartsWith("GET ") && c != "GET /version");
        Assert.DoesNotContain(calls, c => c.Contains("/pods/web-0") && !c.StartsWith("PATCH "));
        Assert.Contains(calls, c => c.StartsWith("PATCH /api/v1/namespaces/default/pods/web-0"));
    }

    [Fact]
    public void Without_runtime_annotations_the_plugin_reads_the_pod_and_still_binds()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", Asks);

        Succeeded(chain, chain.Cnitool("add")); // no CAP_ARGS, as a runtime without the capability
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("InUse", Str(eip, "status"));
        Assert.Contains("GET /api/v1/namespaces/default/pods/web-0", KubeCalls(_world));
        Assert.Equal(Str(eip, "ipAddress"), Annotation(_world.Pod("web-0"), "network.alibabacloud.com/allocated-eipAddress"));

        Succeeded(chain, chain.Cnitool("del"));
        Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", Str(e, "status")));
    }

    [Theory]
    [InlineData(false)] // enable_eip_pool "false"
    [InlineData(true)]  // no eni_conf file at all
    public void With_the_feature_off_a_pod_asking_passes_through_without_any_network_call(bool noEniConf)
    {
        using var chain = _world.Chain(enableEipPool: false);
        if (noEniConf) File.Delete(chain.EniConfPath);
        _world.CreatePod("web-0", Asks);

        var add = chain.Cnitool("add", capArgs: Caps(Asks));
        Succeeded(chain, add);
        Assert.StartsWith("10.250.0.", PodIp(add));
        Succeeded(chain, chain.Cnitool("check", capArgs: Caps(Asks)));
        Succeeded(chain, chain.Cnitool("del", capArgs: Caps(Asks)));

        Assert.Empty(_world.CloudRequests());
        Assert.Empty(_world.KubeRequests());
        Assert.Null(Annotation(_world.Pod("web-0"), "k8s.aliyun.com/allocated-eipAddress"));
    }

    [Fact]
    public void A_declared_readiness_gate_gets_a_true_condition_naming_the_eip_and_a_normal_event()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", Asks, readinessGate: true);

        var add = chain.Cnitool("add", capArgs: Caps(Asks));
        Succeeded(chain, add);
        var eip = Assert.Single(_world.ApiEips());
        var address = Str(eip, "ipAddress");
        var id = Str(eip, "allocationId");

        var condition = _world.Pod("web-0")["status"]!["conditions"]!.AsArray().Single(c => Str(c!, "type") == "k8s.aliyun.com/eip")!;
        Assert.Equal("True", Str(condition, "status"));
        Assert.Contains(address, Str(condition, "message"));
        Assert.Contains(_world.PrimaryEniId, Str(condition, "message"));

        var bound = Assert.Single(Events(_world, "web-0", "EipBound"));
        Assert.Equal("Normal", Str(bound, "type"));
        var message = Str(bound, "message");
        Assert.Contains(id, message);
        Assert.Contains(address, message);
        Assert.Contains(_world.PrimaryEniId, message);
        Assert.Contains(PodIp(add), message);
        Assert.Matches(new Regex(@"\bin \d+\.\d+s\b"), message); // the time it took
        Assert.DoesNotContain(_world.KubeEvents(), e => Str(e!, "type") == "Warning");
    }

    [Fact]
    public void Without_the_readiness_gate_no_condition_is_written()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", Asks, readinessGate: false);

        Succeeded(chain, chain.Cnitool("add", capArgs: Caps(Asks)));
        var pod = _world.Pod("web-0");
        Assert.NotNull(Annotation(pod, "k8s.aliyun.com/allocated-eipAddress"));
        var conditions = pod["status"]?["conditions"]?.AsArray() ?? [];
        Assert.DoesNotContain(conditions, c => Str(c!, "type") == "k8s.aliyun.com/eip");
        Assert.DoesNotContain(KubeCalls(_world), c => c.Contains("/status"));
    }

    [Fact]
    public void A_pod_patch_failing_persistently_fails_add_and_leaves_no_eip()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", Asks);
        _world.KubeFault(new JsonObject { ["method"] = "PATCH", ["pathContains"] = "/pods/", ["status"] = 500 });

        var failure = Failure(chain, chain.Cnitool("add", capArgs: Caps(Asks)));
        Assert.Contains(failure.Code, new[] { 107, 11 });
        Assert.Contains(KubeCalls(_world), c => c.StartsWith("PATCH "));
        // Rolled back: the EIP that was allocated and bound is released.
        var actions = Actions(_world.MutatingCloudRequests());
        Assert.Contains("AllocateEipAddress", actions);
        Assert.Contains("ReleaseEipAddress", actions);
        Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", Str(e, "status")));
        Assert.Contains(Events(_world, "web-0", "EipFailed"), e => Str(e, "type") == "Warning");
        Assert.DoesNotContain(Directory.GetFiles(chain.StateDir, "*.json", SearchOption.AllDirectories), f => !f.EndsWith("eni-cache.json"));
    }

    [Theory]
    [InlineData(true)]  // annotations from the runtime: the kubeconfig is first needed after the cloud work
    [InlineData(false)] // the plugin must read the pod first
    public void A_missing_kubeconfig_is_a_clear_error_and_leaves_nothing_in_the_cloud(bool runtimeAnnotations)
    {
        using var chain = _world.Chain(edit: p => p["kubeconfig"] = "/nonexistent/eip-cni.kubeconfig");
        _world.CreatePod("web-0", Asks);

        var failure = Failure(chain, chain.Cnitool("add", capArgs: runtimeAnnotations ? Caps(Asks) : null));
        Assert.Equal(7, failure.Code);
        Assert.Contains("kubeconfig", failure.Msg);
        Assert.Contains("/nonexistent/eip-cni.kubeconfig", failure.Text);
        Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", Str(e, "status")));
        Assert.Empty(_world.KubeRequests());
        if (!runtimeAnnotations) Assert.Empty(_world.CloudRequests());
    }

    [Fact]
    public void A_cloud_refusal_is_reported_as_such_even_when_the_failure_event_cannot_be_posted()
    {
        // (An unusable kubeconfig now fails ADD with 7 before any cloud call: see EipPreconditionTests. Here the API
        // server refuses the events.)
        using var chain = _world.Chain();
        _world.KubeFault(new JsonObject { ["method"] = "POST", ["pathContains"] = "/events", ["status"] = 500 });
        _world.CloudFault(new JsonObject { ["action"] = "AllocateEipAddress", ["code"] = "QuotaExceeded.Eip", ["httpStatus"] = 400, ["message"] = "quota reached" });

        var failure = Failure(chain, chain.Cnitool("add", capArgs: Caps(Asks)));
        // The user must learn about the quota, not only that an event could not be posted.
        Assert.Equal(101, failure.Code);
        Assert.Contains("QuotaExceeded.Eip", failure.Details);
        Assert.Empty(_world.ApiEips());
        Assert.Contains(_world.KubeRequests(), r => r.Str("method") == "POST" && r.Str("path").Contains("/events"));
    }
}

using System.Text.Json.Nodes;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// A failure injected at each step of ADD: final cloud errors fail ADD with the right CNI code and leave nothing
/// behind (no EIP of ours that is not Releasing, nothing bound, no journal record); retryable ones are absorbed by
/// retries and ADD still ends with exactly one EIP.
/// </summary>
public class EipFailureInjectionTests : IClassFixture<EipWorld>
{
    private const string PodIp = "10.250.0.30";
    private readonly EipWorld _world;

    public EipFailureInjectionTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    private Dictionary<string, string> Annotations(string step) => step switch
    {
        "TagResources" => new() { [WantsEip] = "true", ["network.alibabacloud.com/eip-tags"] = """{"team":"payments"}""" },
        "AddCommonBandwidthPackageIp" => new() { [WantsEip] = "true", ["network.alibabacloud.com/eip-common-bandwidth-package-id"] = _world.BandwidthPackageId },
        _ => new(AutoEip),
    };

    [Theory]
    [InlineData("AllocateEipAddress", "InvalidParameter", 400, 100)]
    [InlineData("AllocateEipAddress", "QuotaExceeded.Eip", 400, 101)]
    [InlineData("AllocateEipAddress", "Forbidden.RAM", 403, 102)]
    [InlineData("TagResources", "Forbidden.RAM", 403, 102)]
    [InlineData("AddCommonBandwidthPackageIp", "InvalidParameter", 400, 100)]
    [InlineData("AssociateEipAddress", "InvalidParameter", 400, 100)]
    [InlineData("AssociateEipAddress", "Forbidden.RAM", 403, 102)]
    public void A_final_cloud_error_fails_add_with_its_code_and_leaves_nothing_behind(string step, string cloudCode, int httpStatus, int cniCode)
    {
        using var chain = _world.Chain();
        var ann = Annotations(step);
        _world.CreatePod("web-0", ann);
        _world.CloudFault(Fault(step, cloudCode, httpStatus, count: 1));

        var add = chain.Plugin("ADD", "fail-1", PodIp, annotations: ann);

        NativePlugin.AssertError(add, cniCode, cloudCode);
        // The step really failed there (the cloud answered with the injected code), and everything before it was undone.
        Assert.Contains(_world.CloudRequests(), r => r!.Str("action") == step && r.Str("code") == cloudCode);
        _world.AssertNothingLeftBehind();
        if (step != "AllocateEipAddress")
        {
            // The EIP made before the failure was released (it may already be gone from the inspection: Releasing is
            // short), and it left its bandwidth package first — the simulator refuses to release an EIP still in one.
            var log = _world.CloudRequests();
            var release = log.Where(r => r!.Str("action") == "ReleaseEipAddress" && r!["httpStatus"]!.GetValue<int>() == 200).ToArray();
            Assert.Single(release);
            if (step == "AddCommonBandwidthPackageIp")
                Assert.DoesNotContain(log, r => r!.Str("action") == "ReleaseEipAddress" && r.Str("code") == "OperationUnsupported.EipInCbwp");
            var made = _world.ApiEips().SingleOrDefault();
            if (made is not null) Assert.Equal("", made.Str("bandwidthPackageId"));
        }
        Assert.Empty(chain.JournalRecords());
        var pod = _world.Pod("web-0");
        Assert.Null(pod["metadata"]!["annotations"]![AllocatedNew]);
        Assert.Contains(_world.KubeEvents(), e => e!.Str("type") == "Warning" && e.Str("reason") == "EipFailed" && e.Str("message").Contains(cloudCode));

        // containerd's teardown DEL after the failed ADD is a clean no-op.
        var del = chain.Plugin("DEL", "fail-1", PodIp, annotations: ann);
        Assert.True(del.ExitCode == 0, del.Stdout + chain.Log());
    }

    [Fact]
    public void A_real_quota_exhaustion_is_code_101_naming_the_cloud_code()
    {
        using var chain = _world.Chain();
        // The account already holds its quota of 20 pay-as-you-go EIPs (the seed one and 19 more made in the console).
        for (var i = 0; i < 19; i++) _world.CreateUserEip();
        _world.CreatePod("web-0", AutoEip);

        var add = chain.Plugin("ADD", "quota-1", PodIp, annotations: AutoEip);

        NativePlugin.AssertError(add, 101, "QuotaExceeded.Eip");
        Assert.Empty(_world.ApiEips());
        Assert.Empty(chain.JournalRecords());
    }

    [Fact]
    public void An_association_that_outlasts_add_timeout_fails_with_104_and_is_undone()
    {
        using var chain = _world.Chain(edit: p => p["addTimeoutSeconds"] = 5);
        _world.CreatePod("web-0", AutoEip);
        _world.CloudConfig(new JsonObject { ["associateMs"] = 20000 });

        var add = chain.Plugin("ADD", "slow-1", PodIp, annotations: AutoEip);

        NativePlugin.AssertError(add, 104);
        // The budget ended ADD's own work at 5 s; the rollback has its own bounded budget (delTimeoutSeconds).
        Assert.True(add.Elapsed < TimeSpan.FromSeconds(30), $"ADD took {add.Elapsed}");
        // What the rollback could not confirm, the runtime's DEL finishes: it is held (11) until the association has
        // settled and been undone, then nothing stays bound to the pod IP.
        ProcessResult del;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((del = chain.Plugin("DEL", "slow-1", PodIp, annotations: AutoEip)).ExitCode != 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
            Thread.Sleep(500); // as a runtime does: DEL is retried whatever it answered, until it succeeds
        Assert.True(del.ExitCode == 0, del.Stdout + chain.Log());
        _world.AssertNothingLeftBehind();
        Assert.Single(_world.ApiEipsEverAllocated());
        Assert.Empty(chain.JournalRecords());
        Assert.Null(_world.Pod("web-0")["metadata"]!["annotations"]![AllocatedNew]);
    }

    [Fact]
    public void A_pod_patch_that_keeps_failing_fails_add_and_gives_the_bound_eip_back()
    {
        using var chain = _world.Chain(edit: p => p["addTimeoutSeconds"] = 15);
        _world.CreatePod("web-0", AutoEip);
        _world.KubeFault(new JsonObject { ["method"] = "PATCH", ["pathContains"] = "/pods/web-0", ["status"] = 500 });

        var add = chain.Plugin("ADD", "patch-1", PodIp, annotations: AutoEip);

        // 11 (the API server stayed unavailable through the retries) or 107 (it refused the write-back).
        var code = JsonNode.Parse(add.Stdout)?["code"]?.GetValue<int>() ?? 0;
        Assert.Contains(code, new[] { 11, 107 });
        var error = NativePlugin.AssertError(add, code);
        Assert.Contains("pod", error.GetProperty("msg").GetString());
        // It was bound (the cloud part succeeded) and then undone: unbound and released.
        Assert.Contains(_world.CloudRequests(), r => r!.Str("action") == "AssociateEipAddress" && r.Str("code") == "");
        Assert.Contains(_world.CloudRequests(), r => r!.Str("action") == "UnassociateEipAddress");
        _world.AssertNothingLeftBehind();
        Assert.Single(_world.ApiEipsEverAllocated());
        Assert.Empty(chain.JournalRecords());
    }

    [Fact]
    public void A_rollback_the_cloud_refuses_stays_pending_and_del_finishes_it()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        _world.CloudFault(Fault("AssociateEipAddress", "InvalidParameter", 400, count: 1));
        _world.CloudFault(Fault("ReleaseEipAddress", "Forbidden.RAM", 403, count: 1));

        var add = chain.Plugin("ADD", "pending-1", PodIp, annotations: AutoEip);

        NativePlugin.AssertError(add, 100, "InvalidParameter");
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("Available", eip.Str("status")); // never bound, but not released either
        var record = Assert.Single(chain.JournalRecords());
        Assert.Equal("Releasing", record.Str("phase"));
        Assert.Equal(eip.Str("allocationId"), record.Str("allocationId"));

        var del = chain.Plugin("DEL", "pending-1", PodIp, annotations: AutoEip);

        Assert.True(del.ExitCode == 0, del.Stdout + chain.Log());
        _world.AssertNothingLeftBehind();
        Assert.Empty(chain.JournalRecords());
    }

    [Theory]
    [InlineData("AllocateEipAddress", "Throttling.User", 400, 2, false, false)]
    [InlineData("AllocateEipAddress", "ServiceUnavailable", 503, 2, false, false)]
    [InlineData("AllocateEipAddress", null, 0, 1, true, false)]
    [InlineData("AssociateEipAddress", "TaskConflict", 400, 1, false, false)]
    [InlineData("AssociateEipAddress", "ServiceUnavailable", 503, 2, false, false)]
    [InlineData("AssociateEipAddress", null, 0, 2, true, false)]
    [InlineData("AssociateEipAddress", null, 0, 1, true, true)]
    [InlineData("DescribeEipAddresses", "Throttling.User", 400, 2, false, false)]
    [InlineData("DescribeEipAddresses", null, 0, 2, true, false)]
    [InlineData("TagResources", "ServiceUnavailable", 503, 2, false, false)]
    [InlineData("AddCommonBandwidthPackageIp", "Throttling.User", 400, 1, false, false)]
    public void A_retryable_fault_is_absorbed_and_add_binds_exactly_one_eip(string step, string? cloudCode, int httpStatus, int count, bool drop, bool afterApply)
    {
        using var chain = _world.Chain();
        var ann = Annotations(step);
        _world.CreatePod("web-0", ann);
        _world.CloudFault(Fault(step, cloudCode, httpStatus == 0 ? null : httpStatus, count: count, drop: drop, afterApply: afterApply));

        var add = chain.Plugin("ADD", "retry-1", PodIp, annotations: ann);

        Assert.True(add.ExitCode == 0, add.Stdout + chain.Log());
        Assert.Contains(_world.CloudRequests(), r => r!.Str("action") == step && r.Str("code") == (cloudCode ?? "drop"));
        AssertBoundOnce(chain, "retry-1");
    }

    [Fact]
    public void A_lost_allocate_answer_is_replayed_by_its_client_token_not_allocated_twice()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        _world.CloudFault(Fault("AllocateEipAddress", count: 1, drop: true, afterApply: true));

        var add = chain.Plugin("ADD", "lost-1", PodIp, annotations: AutoEip);

        Assert.True(add.ExitCode == 0, add.Stdout + chain.Log());
        var allocates = _world.CloudRequests().Where(r => r!.Str("action") == "AllocateEipAddress").ToArray();
        Assert.True(allocates.Length >= 2, "the lost answer was retried");
        Assert.Equal("drop", allocates[0]!.Str("code"));
        Assert.Single(allocates.Select(r => r!.Str("clientToken")).Distinct());
        AssertBoundOnce(chain, "lost-1");
    }

    /// <summary>Exactly one EIP of ours, InUse on the pod's ENI IP, written back to the pod, journal Bound.</summary>
    private void AssertBoundOnce(CniChain chain, string containerId)
    {
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("InUse", eip.Str("status"));
        Assert.Equal(PodIp, eip.Str("privateIpAddress"));
        Assert.Equal(_world.PrimaryEniId, eip.Str("instanceId"));
        Assert.Equal(containerId, eip["tags"]!["eip-cni.alibabacloud.com/container-id"]!.GetValue<string>());
        Assert.Equal(eip.Str("ipAddress"), _world.Pod("web-0")["metadata"]!["annotations"]![AllocatedNew]!.GetValue<string>());
        var record = Assert.Single(chain.JournalRecords());
        Assert.Equal("Bound", record.Str("phase"));
    }
}

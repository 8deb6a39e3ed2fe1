using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Kube;
using EipCni.State;

namespace EipCni.Tests.Eip.Engine;

/// <summary>ADD's decision table (docs/design.md §5) against the in-memory cloud: no root, no processes.</summary>
public class EngineAddTests
{
    private static Dictionary<string, string> Ann(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key.Contains('/') ? p.Key : EipAnnotationNames.NewPrefix + p.Key, p => p.Value);

    private static int Mutations(EngineWorld w) =>
        w.Cloud.Calls.Count(c => c.Action is not "DescribeEipAddresses");

    [Fact]
    public async Task A_fresh_pod_gets_one_tagged_eip_bound_to_its_ip_and_written_back()
    {
        using var w = new EngineWorld();

        var summary = await w.AddAsync("c-1");

        var eip = Assert.Single(w.Cloud.Eips);
        Assert.Equal($"bound {eip.AllocationId} {eip.IpAddress} to {EngineWorld.PodEni} {EngineWorld.PodIp}", summary);
        Assert.Equal(("InUse", EngineWorld.PodEni, EngineWorld.PodIp), (eip.Status, eip.InstanceId, eip.PrivateIp));
        Assert.Equal(EngineWorld.Cluster, eip.Tags[OwnershipTags.Cluster]);
        Assert.Equal("default/web-0", eip.Tags[OwnershipTags.Pod]);
        Assert.Equal("c-1", eip.Tags[OwnershipTags.ContainerId]);
        Assert.Equal(EngineWorld.Node, eip.Tags[OwnershipTags.Node]);
        Assert.Equal("Follow", eip.Tags[OwnershipTags.ReleaseStrategy]);
        Assert.Equal("false", eip.Tags[OwnershipTags.Retained]);
        // The floor: one Allocate, one Associate; nothing else mutates.
        Assert.Equal(["AllocateEipAddress", "AssociateEipAddress"], w.Cloud.Calls.Where(c => c.Action != "DescribeEipAddresses").Select(c => c.Action));

        var rec = w.Record("c-1")!;
        Assert.Equal((AttachmentPhase.Bound, EipOrigin.Automatic, eip.AllocationId, 0), (rec.Phase, rec.Origin, rec.AllocationId, rec.Generation));
        Assert.Equal(ClientTokens.Allocate(EngineWorld.Cluster, EngineWorld.Network, "c-1", "eth0", 0), rec.ClientToken);
        Assert.Null(rec.AssociateToken);
        var patch = Assert.Single(w.Kube.AnnotationPatches);
        Assert.Equal(eip.IpAddress, patch.Annotations[EipAnnotationNames.AllocatedNew]);
        Assert.Equal(eip.IpAddress, patch.Annotations[EipAnnotationNames.AllocatedOld]);
        Assert.Empty(w.Kube.ConditionPatches); // no readiness gate declared
        Assert.Contains(eip.AllocationId, (await w.Kube.WaitForEventAsync("EipBound")).Message);
    }

    [Fact]
    public async Task The_condition_is_set_only_for_a_pod_that_declares_the_readiness_gate()
    {
        using var w = new EngineWorld();
        w.Kube.AddPod(EngineWorld.Ns, "gated", readinessGates: [EipEngine.ConditionType]);

        await w.AddAsync("c-1", pod: "gated");

        var condition = Assert.Single(w.Kube.ConditionPatches);
        Assert.Equal((EipEngine.ConditionType, "True", "EipBound"), (condition.Type, condition.Status, condition.Reason));
    }

    [Fact]
    public async Task A_duplicate_add_of_a_bound_attachment_changes_nothing()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var before = Mutations(w);

        var again = await w.AddAsync("c-1");

        Assert.StartsWith("bound eip-fake0001", again);
        Assert.Equal(before, Mutations(w));
        Assert.Single(w.Cloud.Eips);
    }

    [Fact]
    public async Task A_pod_that_does_not_ask_costs_no_cloud_call()
    {
        using var w = new EngineWorld();
        Assert.Equal("no EIP requested", await w.AddAsync("c-1", Ann(("eip-bandwidth", "10"))));
        Assert.Empty(w.Cloud.Calls);
        Assert.Null(w.Record("c-1"));
    }

    [Fact]
    public async Task An_invalid_annotation_fails_with_7_and_a_warning_event_before_any_cloud_call()
    {
        using var w = new EngineWorld();
        var e = await w.AddFailsAsync("c-1", Ann(("pod-with-eip", "true"), ("eip-bandwidth", "lots")));
        Assert.Equal(CniCode.InvalidConfig, e.Code);
        Assert.Contains("eip-bandwidth", e.Message);
        Assert.Empty(w.Cloud.Calls);
        await w.Kube.WaitForEventAsync("EipInvalidAnnotation");
    }

    [Fact]
    public async Task A_retried_add_after_a_late_allocation_converges_on_the_one_eip_it_created()
    {
        using var w = new EngineWorld();
        // The first AllocateEipAddress gets no answer and only takes effect 60 s later.
        w.Cloud.CommitLate("AllocateEipAddress", TimeSpan.FromSeconds(60));

        var first = await w.AddFailsAsync("c-1");
        Assert.Equal(CniCode.TryAgainLater, first.Code);
        // The rollback could not tell what the allocation did (LastTokenProcessing): the record stays, in doubt.
        var rec = w.Record("c-1")!;
        Assert.Equal((AttachmentPhase.Releasing, null), (rec.Phase, rec.AllocationId));
        Assert.NotNull(rec.ClientToken);

        w.Time.Advance(TimeSpan.FromSeconds(61));
        await w.AddAsync("c-1");

        var eip = Assert.Single(w.Cloud.Eips);
        Assert.Equal("InUse", eip.Status);
        Assert.Equal(eip.AllocationId, w.Record("c-1")!.AllocationId);
        Assert.Equal(1, w.Cloud.Calls.Count(c => c.Action == "AllocateEipAddress" && c.Outcome == "replayed"));
    }

    [Fact]
    public async Task A_token_whose_first_use_had_other_options_adopts_that_eip_by_its_tags()
    {
        using var w = new EngineWorld();
        // An earlier attempt of this attachment (other annotations) created an EIP with the same token, then crashed.
        var token = ClientTokens.Allocate(EngineWorld.Cluster, EngineWorld.Network, "c-1", "eth0", 0);
        var earlier = await w.Cloud.AllocateEipAddressAsync(new AllocateEipRequest
        {
            Bandwidth = "50",
            ClientToken = token,
            Tags = OwnershipTags.ForNewEip(EngineWorld.Cluster, EngineWorld.Ns, EngineWorld.Pod, "uid-web-0", "c-1", EngineWorld.Node, "Follow"),
        }, CancellationToken.None);

        await w.AddAsync("c-1");

        Assert.Contains(w.Cloud.Calls, c => c.Outcome == "IdempotentParameterMismatch");
        var eip = Assert.Single(w.Cloud.Eips);
        Assert.Equal((earlier.AllocationId, "InUse"), (eip.AllocationId, eip.Status));
    }

    [Fact]
    public async Task The_quota_is_101_and_leaves_no_record()
    {
        using var w = new EngineWorld();
        w.Cloud.Quota = 0;
        var e = await w.AddFailsAsync("c-1");
        Assert.Equal(CniCode.EipQuotaExceeded, e.Code);
        Assert.Contains("QuotaExceeded.Eip", e.Details);
        Assert.Null(w.Record("c-1"));
        await w.Kube.WaitForEventAsync("EipFailed");
    }

    [Fact]
    public async Task A_missing_permission_is_102_and_the_allocated_eip_is_given_back()
    {
        using var w = new EngineWorld();
        w.Cloud.FailAlways("AssociateEipAddress", "Forbidden.RAM", 403);

        var e = await w.AddFailsAsync("c-1");

        Assert.Equal(CniCode.CloudPermissionDenied, e.Code);
        w.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(w.Cloud.Eips);
        Assert.Single(w.Cloud.Released);
        Assert.Null(w.Record("c-1"));
    }

    [Fact]
    public async Task An_association_still_running_when_the_budget_ends_is_104_and_is_rolled_back()
    {
        using var w = new EngineWorld();
        w.Cloud.AssociateDelay = TimeSpan.FromMinutes(5); // longer than addTimeoutSeconds
        w.AddBudget = TimeSpan.FromSeconds(20);

        var e = await w.AddFailsAsync("c-1");

        Assert.Equal(CniCode.AssociationTimedOut, e.Code);
        w.Time.Advance(TimeSpan.FromMinutes(10));
        w.AssertNothingLeft("c-1");
    }

    [Theory]
    [InlineData(403, CniCode.KubeWriteBackFailed)]
    [InlineData(503, CniCode.TryAgainLater)]
    public async Task A_failed_write_back_fails_add_and_gives_the_eip_back(int status, int code)
    {
        using var w = new EngineWorld();
        w.Kube.FailPatches = new KubeException(status, status == 403 ? "Forbidden" : "ServiceUnavailable", "no", "PATCH", "/api/v1/namespaces/default/pods/web-0", 1);

        var e = await w.AddFailsAsync("c-1");

        Assert.Equal(code, e.Code);
        w.AssertNothingLeft("c-1");
    }

    [Fact]
    public async Task A_user_eip_is_bound_never_created_tagged_or_released()
    {
        using var w = new EngineWorld();
        w.Cloud.Seed("eip-user", "47.1.1.1");
        var ann = Ann(("pod-eip-instanceid", "eip-user"));

        await w.AddAsync("c-1", ann);

        Assert.Equal(("InUse", EngineWorld.PodIp), (w.Cloud.Get("eip-user")!.Status, w.Cloud.Get("eip-user")!.PrivateIp));
        Assert.DoesNotContain(w.Cloud.Calls, c => c.Action is "AllocateEipAddress" or "TagResources");
        Assert.Equal(EipOrigin.UserSpecified, w.Record("c-1")!.Origin);

        Assert.Equal("unbound user EIP eip-user", await w.DelAsync("c-1"));
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Available", w.Cloud.Get("eip-user")!.Status);
        Assert.DoesNotContain(w.Cloud.Calls, c => c.Action == "ReleaseEipAddress");
        Assert.Empty(w.Cloud.Get("eip-user")!.Tags);
    }

    [Fact]
    public async Task A_user_eip_already_on_the_pod_ip_costs_no_mutating_call()
    {
        using var w = new EngineWorld();
        w.Cloud.Seed("eip-user", "47.1.1.1", boundToEni: EngineWorld.PodEni, boundToIp: EngineWorld.PodIp);

        await w.AddAsync("c-1", Ann(("pod-eip-instanceid", "eip-user")));

        Assert.Equal(0, Mutations(w));
    }

    [Fact]
    public async Task A_user_eip_bound_elsewhere_is_103_naming_the_holder_and_is_left_where_it_is()
    {
        using var w = new EngineWorld();
        w.Cloud.Seed("eip-user", "47.1.1.1", boundToEni: "eni-other", boundToIp: "10.9.9.9");

        var e = await w.AddFailsAsync("c-1", Ann(("pod-eip-instanceid", "eip-user")));

        Assert.Equal(CniCode.EipHeldElsewhere, e.Code);
        Assert.Contains("eni-other 10.9.9.9", e.Details);
        Assert.Equal(("InUse", "eni-other"), (w.Cloud.Get("eip-user")!.Status, w.Cloud.Get("eip-user")!.InstanceId));
        Assert.Equal(0, Mutations(w));
        Assert.Null(w.Record("c-1"));
    }

    [Fact]
    public async Task With_allow_eip_rob_a_user_eip_is_taken_from_its_holder()
    {
        using var w = new EngineWorld();
        w.EniConf = w.EniConf with { AllowEipRob = true };
        w.Cloud.Seed("eip-user", "47.1.1.1", boundToEni: "eni-other", boundToIp: "10.9.9.9");

        await w.AddAsync("c-1", Ann(("pod-eip-instanceid", "eip-user")));

        Assert.Equal(("InUse", EngineWorld.PodEni, EngineWorld.PodIp), (w.Cloud.Get("eip-user")!.Status, w.Cloud.Get("eip-user")!.InstanceId, w.Cloud.Get("eip-user")!.PrivateIp));
        Assert.Contains("eni-other", w.Record("c-1")!.RobbedFrom);
    }

    [Fact]
    public async Task A_user_eip_that_does_not_exist_is_105()
    {
        using var w = new EngineWorld();
        var e = await w.AddFailsAsync("c-1", Ann(("pod-eip-instanceid", "eip-nope")));
        Assert.Equal(CniCode.EipUnknown, e.Code);
        Assert.Null(w.Record("c-1"));
    }

    [Fact]
    public async Task A_finished_attachments_eip_still_on_the_ip_is_unbound_first_then_the_new_one_binds()
    {
        using var w = new EngineWorld();
        // Ours (this cluster's tags), on the pod's IP, and no journal record claims it: left over from an earlier pod.
        w.SeedOnPodIp("eip-stale", EngineWorld.Cluster, "c-old");

        await w.AddAsync("c-1");

        Assert.Contains(w.Cloud.Calls, c => c.Action == "AssociateEipAddress" && c.Outcome == "InvalidAssociation.Duplicated");
        Assert.Equal("Available", w.Cloud.Get("eip-stale")!.Status); // unbound, not released: its release is not ours to decide here
        var mine = w.Cloud.Get(w.Record("c-1")!.AllocationId!)!;
        Assert.Equal(("InUse", EngineWorld.PodIp), (mine.Status, mine.PrivateIp));
    }

    [Fact]
    public async Task Another_clusters_eip_on_the_ip_is_never_touched()
    {
        using var w = new EngineWorld();
        w.SeedOnPodIp("eip-foreign", "other-cluster", "c-x");

        var e = await w.AddFailsAsync("c-1");

        Assert.Equal(CniCode.CloudRefused, e.Code);
        Assert.Contains("InvalidAssociation.Duplicated", e.Details);
        Assert.Equal(("InUse", EngineWorld.PodIp), (w.Cloud.Get("eip-foreign")!.Status, w.Cloud.Get("eip-foreign")!.PrivateIp));
        Assert.DoesNotContain(w.Cloud.Calls, c => c.Action == "UnassociateEipAddress" && c.AllocationId == "eip-foreign");
        w.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(w.Cloud.Eips); // ours was given back
    }

    [Fact]
    public async Task A_live_attachments_eip_on_the_ip_is_never_touched()
    {
        using var w = new EngineWorld();
        w.SeedOnPodIp("eip-live", EngineWorld.Cluster, "c-live");
        w.WriteRecord(new AttachmentRecord
        {
            Network = EngineWorld.Network, ContainerId = "c-live", IfName = "eth0", ClusterId = EngineWorld.Cluster,
            Origin = EipOrigin.Automatic, Phase = AttachmentPhase.Bound, AllocationId = "eip-live",
            NetworkInterfaceId = EngineWorld.PodEni, PrivateIp = EngineWorld.PodIp,
        });

        var e = await w.AddFailsAsync("c-1");

        Assert.Equal(CniCode.CloudRefused, e.Code);
        Assert.Equal("InUse", w.Cloud.Get("eip-live")!.Status);
        Assert.True(w.Log.Contains("may not touch"));
    }

    [Fact]
    public async Task A_release_strategy_on_a_pod_not_owned_by_a_stateful_kind_is_follow_with_a_warning()
    {
        using var w = new EngineWorld();
        w.Kube.AddPod(EngineWorld.Ns, EngineWorld.Pod, ownerKind: "ReplicaSet");

        await w.AddAsync("c-1", Ann(("pod-with-eip", "true"), ("pod-eip-release-strategy", "Never")));

        Assert.Equal("Follow", Assert.Single(w.Cloud.Eips).Tags[OwnershipTags.ReleaseStrategy]);
        Assert.Contains("ReplicaSet", (await w.Kube.WaitForEventAsync("EipAnnotationIgnored")).Message);
    }

    [Fact]
    public async Task A_bandwidth_package_is_joined_at_add_and_left_before_release()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1", Ann(("pod-with-eip", "true"), ("eip-common-bandwidth-package-id", "cbwp-1")));
        var id = w.Record("c-1")!.AllocationId!;
        Assert.Equal("cbwp-1", w.Cloud.Get(id)!.BandwidthPackageId);

        await w.DelAsync("c-1");

        var order = w.Cloud.Calls.Where(c => c.Action is "RemoveCommonBandwidthPackageIp" or "ReleaseEipAddress").Select(c => c.Action);
        Assert.Equal(["RemoveCommonBandwidthPackageIp", "ReleaseEipAddress"], order);
        w.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(w.Cloud.Eips);
    }

    [Fact]
    public async Task A_late_package_add_that_lands_after_the_record_left_the_package_is_undone_before_release()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1", Ann(("pod-with-eip", "true"), ("eip-common-bandwidth-package-id", "cbwp-1")));
        // The record says the EIP left the package (a release pass got that far) but an add whose answer was lost
        // landed afterwards: the cloud refuses to release an EIP inside a package.
        var rec = w.WriteRecord(w.Record("c-1")! with { InBandwidthPackage = false });
        Assert.Equal("cbwp-1", w.Cloud.Get(rec.AllocationId!)!.BandwidthPackageId);

        await w.DelAsync("c-1");
        w.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Empty(w.Cloud.Eips);
        Assert.Null(w.Record("c-1"));
    }

    [Fact]
    public async Task A_generation_retired_by_del_gives_a_later_add_of_the_same_container_a_new_token()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var first = w.Record("c-1")!;
        await w.DelAsync("c-1");
        w.Time.Advance(TimeSpan.FromSeconds(10));

        await w.AddAsync("c-1");

        var second = w.Record("c-1")!;
        Assert.Equal(1, second.Generation);
        Assert.NotEqual(first.ClientToken, second.ClientToken);
        Assert.NotEqual(first.AllocationId, second.AllocationId);
        Assert.Equal("InUse", Assert.Single(w.Cloud.Eips).Status);
    }
}

using EipCni.Cni;
using EipCni.Eip;
using EipCni.State;

namespace EipCni.Tests.Eip.Engine;

/// <summary>
/// DEL's outcomes (docs/design.md §6): Done, ReleaseDeferred (DEL succeeds, the record keeps the release) and
/// StillBound (DEL fails with 11: the pod IP must not be handed on while our EIP may point at it).
/// </summary>
public class EngineDelTests
{
    private static void NeverSaysNotFound(CniException e)
    {
        Assert.DoesNotContain("not found", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("not found", e.Details, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Done_unbinds_releases_forgets_the_record_and_retires_the_generation()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var id = w.Record("c-1")!.AllocationId!;

        Assert.Equal($"released {id}", await w.DelAsync("c-1"));

        Assert.Equal(["UnassociateEipAddress", "ReleaseEipAddress"],
            w.Cloud.Calls.Where(c => c.Action is "UnassociateEipAddress" or "ReleaseEipAddress").Select(c => c.Action));
        Assert.Null(w.Record("c-1"));
        Assert.Equal(1, w.Journal.StartGeneration(new AttachmentKey(EngineWorld.Network, "c-1", "eth0")));
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(w.Cloud.Eips);
    }

    [Fact]
    public async Task Del_without_a_record_is_one_stat_and_no_call()
    {
        using var w = new EngineWorld();
        Assert.Equal("nothing recorded", await w.DelAsync("c-unknown"));
        Assert.Empty(w.Cloud.Calls);
    }

    [Fact]
    public async Task A_corrupt_record_never_wedges_del()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        File.WriteAllText(Path.Combine(w.Journal.Directory, "c-1@eth0.json"), "{ not json");
        // The unreadable record is quarantined (moved aside, logged) and DEL goes on as if there were none.
        Assert.Equal("nothing recorded", await w.DelAsync("c-1"));
        Assert.Contains(Directory.GetFiles(w.Journal.Directory), f => Path.GetFileName(f).StartsWith("c-1@eth0.json.corrupt-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_release_is_deferred_and_del_succeeds_because_the_eip_is_off_the_ip()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var id = w.Record("c-1")!.AllocationId!;
        w.Cloud.FailAlways("ReleaseEipAddress", "ServiceUnavailable", 503);

        Assert.Equal($"pending release of {id}", await w.DelAsync("c-1"));

        var rec = w.Record("c-1")!;
        Assert.Equal((AttachmentPhase.Releasing, true, 1), (rec.Phase, rec.Unbound, rec.Attempts));
        Assert.Contains("ServiceUnavailable", rec.LastError);
        Assert.Equal("Available", w.Cloud.Get(id)!.Status);

        // A later DEL of the same attachment finishes it once the cloud answers.
        w.Cloud.ClearFaults();
        Assert.Equal($"released {id}", await w.DelAsync("c-1"));
        Assert.Null(w.Record("c-1"));
    }

    [Fact]
    public async Task An_unconfirmed_unbind_holds_del_with_11_and_one_warning_event_for_all_its_retries()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var id = w.Record("c-1")!.AllocationId!;
        // The fake's scripted message says "not found": DEL must quote the code, never the cloud's words.
        w.Cloud.FailAlways("UnassociateEipAddress", "ServiceUnavailable", 503);

        var first = await w.DelFailsAsync("c-1");
        var second = await w.DelFailsAsync("c-1");

        foreach (var e in new[] { first, second })
        {
            Assert.Equal(CniCode.TryAgainLater, e.Code);
            Assert.Contains("may still be bound", e.Message);
            NeverSaysNotFound(e);
        }
        Assert.Equal("InUse", w.Cloud.Get(id)!.Status);
        var held = await w.Kube.WaitForEventAsync("EipUnbindPending");
        Assert.Contains(EngineWorld.PodIp, held.Message);
        Assert.Single(w.Kube.Events, e => e.Reason == "EipUnbindPending");
        Assert.True(w.Record("c-1")!.HeldEventPosted);

        w.Cloud.ClearFaults();
        Assert.Equal($"released {id}", await w.DelAsync("c-1"));
    }

    [Fact]
    public async Task A_cloud_that_cannot_describe_holds_del_too()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        w.Cloud.FailAlways("DescribeEipAddresses", "Throttling.User", 400);

        var e = await w.DelFailsAsync("c-1");

        Assert.Equal(CniCode.TryAgainLater, e.Code);
        Assert.Contains("Throttling.User", e.Details);
        Assert.NotNull(w.Record("c-1"));
    }

    [Fact]
    public async Task An_eip_deleted_behind_our_back_is_done_with_no_mutating_call()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var id = w.Record("c-1")!.AllocationId!;
        w.Cloud.DeleteNow(id);

        Assert.Equal($"EIP {id} no longer exists", await w.DelAsync("c-1"));

        Assert.DoesNotContain(w.Cloud.Calls, c => c.Action is "UnassociateEipAddress" or "ReleaseEipAddress");
        Assert.Null(w.Record("c-1"));
    }

    [Fact]
    public async Task A_robbed_eip_is_left_where_it_is_now()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var id = w.Record("c-1")!.AllocationId!;
        // A console user moved it to another instance.
        w.Cloud.UnbindNow(id);
        w.Cloud.BindNow(id, "eni-other", "10.9.9.9");

        Assert.Equal($"EIP {id} is held elsewhere; left alone", await w.DelAsync("c-1"));

        Assert.DoesNotContain(w.Cloud.Calls, c => c.Action is "UnassociateEipAddress" or "ReleaseEipAddress");
        Assert.Equal(("InUse", "eni-other"), (w.Cloud.Get(id)!.Status, w.Cloud.Get(id)!.InstanceId));
    }

    [Fact]
    public async Task A_record_naming_an_eip_without_our_tags_is_dropped_and_the_eip_left_alone()
    {
        using var w = new EngineWorld();
        w.SeedOnPodIp("eip-theirs", "other-cluster", "c-1");
        w.WriteRecord(new AttachmentRecord
        {
            Network = EngineWorld.Network, ContainerId = "c-1", IfName = "eth0", ClusterId = EngineWorld.Cluster,
            Origin = EipOrigin.Automatic, Phase = AttachmentPhase.Bound, AllocationId = "eip-theirs",
            NetworkInterfaceId = EngineWorld.PodEni, PrivateIp = EngineWorld.PodIp, ClientToken = "planted",
        });

        Assert.Equal("EIP eip-theirs is not this attachment's; left alone", await w.DelAsync("c-1"));

        Assert.Equal("InUse", w.Cloud.Get("eip-theirs")!.Status);
        Assert.DoesNotContain(w.Cloud.Calls, c => c.Action is not "DescribeEipAddresses");
        Assert.Null(w.Record("c-1"));
        Assert.True(w.Log.Contains("does not own", EipCni.LogLevel.Error));
    }

    [Fact]
    public async Task A_record_claiming_a_user_eip_that_a_live_attachment_holds_is_untrusted()
    {
        using var w = new EngineWorld();
        w.Cloud.Seed("eip-user", "47.1.1.1");
        await w.AddAsync("c-live", new Dictionary<string, string> { ["network.alibabacloud.com/pod-eip-instanceid"] = "eip-user" });
        w.WriteRecord(new AttachmentRecord
        {
            Network = EngineWorld.Network, ContainerId = "c-planted", IfName = "eth0", ClusterId = EngineWorld.Cluster,
            Origin = EipOrigin.UserSpecified, Phase = AttachmentPhase.Bound, AllocationId = "eip-user",
            NetworkInterfaceId = EngineWorld.PodEni, PrivateIp = EngineWorld.PodIp,
        });

        await w.DelAsync("c-planted");

        Assert.Equal(("InUse", EngineWorld.PodIp), (w.Cloud.Get("eip-user")!.Status, w.Cloud.Get("eip-user")!.PrivateIp));
        Assert.Null(w.Record("c-planted"));
        Assert.NotNull(w.Record("c-live"));
    }

    [Fact]
    public async Task An_association_whose_answer_never_came_holds_del_until_its_token_replay_settles_it()
    {
        using var w = new EngineWorld();
        // AssociateEipAddress gets no answer and lands 60 s later: ADD fails, its rollback cannot know yet.
        w.Cloud.CommitLate("AssociateEipAddress", TimeSpan.FromSeconds(60));
        Assert.Equal(CniCode.TryAgainLater, (await w.AddFailsAsync("c-1")).Code);
        Assert.NotNull(w.Record("c-1")!.AssociateToken);

        // While the token is still processing, DEL must not succeed: the association may yet land on the pod IP.
        var held = await w.DelFailsAsync("c-1");
        Assert.Equal(CniCode.TryAgainLater, held.Code);
        Assert.Contains("LastTokenProcessing", held.Details);

        // It lands; the next DEL sees it on the IP, unbinds, replays the token to be sure, and releases.
        w.Time.Advance(TimeSpan.FromSeconds(61));
        _ = w.Cloud.Eips; // the late association starts now (Associating), and completes a moment later
        w.Time.Advance(TimeSpan.FromSeconds(1));
        var id = w.Record("c-1")!.AllocationId!;
        Assert.Equal("InUse", w.Cloud.Get(id)!.Status);
        Assert.Equal($"released {id}", await w.DelAsync("c-1"));
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(w.Cloud.Eips);
    }

    [Fact]
    public async Task An_association_whose_answer_was_lost_but_landed_is_seen_by_add_itself()
    {
        using var w = new EngineWorld();
        w.Cloud.LoseAnswer("AssociateEipAddress");

        await w.AddAsync("c-1");

        Assert.True(w.Log.Contains("association already in place after an error"));
        Assert.Equal("InUse", Assert.Single(w.Cloud.Eips).Status);
    }

    [Fact]
    public async Task A_kept_eip_is_unbound_tagged_retained_and_given_to_the_next_sandbox_of_the_pod()
    {
        using var w = new EngineWorld();
        w.Kube.AddPod(EngineWorld.Ns, EngineWorld.Pod, ownerKind: "StatefulSet");
        var never = EngineWorld.Keeping("Never");
        await w.AddAsync("c-1", never);
        var id = w.Record("c-1")!.AllocationId!;

        Assert.Equal($"kept {id} (release strategy Never)", await w.DelAsync("c-1"));
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(("Available", "true"), (w.Cloud.Get(id)!.Status, w.Cloud.Get(id)!.Tags[OwnershipTags.Retained]));
        Assert.Equal(AttachmentPhase.Retained, w.Record("c-1")!.Phase);
        Assert.Equal($"kept {id} for the pod identity", await w.DelAsync("c-1")); // a repeated DEL changes nothing

        // The StatefulSet's next sandbox (new container ID, other IP) gets the same EIP back.
        await w.AddAsync("c-2", never, ip: "10.0.1.8");

        Assert.Equal(id, w.Record("c-2")!.AllocationId);
        var eip = w.Cloud.Get(id)!;
        Assert.Equal(("InUse", "10.0.1.8", "false", "c-2"), (eip.Status, eip.PrivateIp, eip.Tags[OwnershipTags.Retained], eip.Tags[OwnershipTags.ContainerId]));
        Assert.Null(w.Record("c-1")); // the old sandbox's kept record is no longer its to release
        Assert.Equal(1, w.Cloud.CallCount("AllocateEipAddress"));
    }
}

using EipCni.Cni;
using EipCni.Eip;
using EipCni.State;

namespace EipCni.Tests.Eip.Engine;

/// <summary>
/// The rest of the settle path (docs/design.md §6): ADD's rollback with allocations in doubt, the leftover sweep of
/// DEL with its per-record backoff, GC with and without a list, and CHECK.
/// </summary>
public class EngineSettleTests
{
    // ------------------------------------------------------------------ rollback and allocations in doubt

    [Fact]
    public async Task An_allocation_in_doubt_defers_rollback_and_del_then_gc_releases_it_once_the_cloud_shows_it()
    {
        using var w = new EngineWorld();
        w.Cloud.CommitLate("AllocateEipAddress", TimeSpan.FromSeconds(60));

        Assert.Equal(CniCode.TryAgainLater, (await w.AddFailsAsync("c-1")).Code);
        // DEL succeeds: an allocation nobody associated cannot point at the pod IP. The record keeps it.
        Assert.Equal("the outcome of an allocation is not known yet; kept for a later pass", await w.DelAsync("c-1"));
        Assert.NotNull(w.Record("c-1"));

        w.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Single(w.Cloud.Eips); // it did create an EIP, late

        Assert.Equal("gc: 1 given back", await w.GcAsync(null));
        w.AssertNothingLeft("c-1");
    }

    [Fact]
    public async Task An_allocation_refused_without_an_answer_is_resolved_by_replaying_its_token()
    {
        using var w = new EngineWorld();
        // A 500: the cloud may or may not have acted. Here it did not, so the tag search finds nothing and the
        // replay with the same ClientToken creates the EIP now: the rollback learns its ID and releases it.
        w.Cloud.Fail("AllocateEipAddress", "InternalError", 500);

        Assert.Equal(CniCode.TryAgainLater, (await w.AddFailsAsync("c-1")).Code);

        Assert.Equal(2, w.Cloud.CallCount("AllocateEipAddress"));
        Assert.Null(w.Record("c-1"));
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(w.Cloud.Eips);
        Assert.Single(w.Cloud.Released);
    }

    [Fact]
    public async Task A_late_allocation_that_the_cloud_finally_refuses_is_proof_that_nothing_exists()
    {
        using var w = new EngineWorld();
        w.Cloud.Quota = 0; // the late commit fails: the token's stored answer is a refusal
        w.Cloud.CommitLate("AllocateEipAddress", TimeSpan.FromSeconds(60));
        await w.AddFailsAsync("c-1");
        Assert.NotNull(w.Record("c-1"));

        w.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("the cloud shows nothing was allocated", await w.DelAsync("c-1"));

        Assert.Null(w.Record("c-1"));
        Assert.Empty(w.Cloud.Eips);
    }

    [Fact]
    public async Task Rollback_of_a_user_eip_unbinds_it_and_never_releases_it()
    {
        using var w = new EngineWorld();
        w.Cloud.Seed("eip-user", "47.1.1.1");
        w.Kube.FailPatches = new EipCni.Kube.KubeException(403, "Forbidden", "no", "PATCH", "/", 1);

        var e = await w.AddFailsAsync("c-1", new Dictionary<string, string> { ["network.alibabacloud.com/pod-eip-instanceid"] = "eip-user" });

        Assert.Equal(CniCode.KubeWriteBackFailed, e.Code);
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Available", w.Cloud.Get("eip-user")!.Status);
        Assert.DoesNotContain(w.Cloud.Calls, c => c.Action == "ReleaseEipAddress");
        Assert.Null(w.Record("c-1"));
    }

    // ------------------------------------------------------------------ the leftover sweep

    /// <summary>Two attachments whose release failed: pending releases the sweep may finish.</summary>
    private static async Task<(string A, string B)> TwoPendingReleasesAsync(EngineWorld w)
    {
        await w.AddAsync("c-a", ip: "10.0.1.8", pod: "a");
        await w.AddAsync("c-b", ip: "10.0.1.9", pod: "b");
        w.Cloud.FailAlways("ReleaseEipAddress", "ServiceUnavailable", 503);
        await w.DelAsync("c-a", ip: "10.0.1.8", pod: "a");
        await w.DelAsync("c-b", ip: "10.0.1.9", pod: "b");
        w.Cloud.ClearFaults();
        return (w.Record("c-a")!.AllocationId!, w.Record("c-b")!.AllocationId!);
    }

    [Fact]
    public async Task A_del_that_finishes_its_own_record_finishes_other_leftovers_each_on_its_own()
    {
        using var w = new EngineWorld();
        var (a, b) = await TwoPendingReleasesAsync(w);
        // The cloud keeps refusing A's release; B must not wait for it.
        w.Cloud.FailAlways("ReleaseEipAddress", "ServiceUnavailable", 503, allocationId: a);
        await w.AddAsync("c-1");

        var summary = await w.DelAsync("c-1");

        Assert.EndsWith("; finished 1 leftover(s); 1 leftover(s) deferred", summary);
        Assert.Null(w.Record("c-b"));
        var pending = w.Record("c-a")!;
        Assert.Equal(2, pending.Attempts);
        Assert.InRange(pending.NextAttemptAt!.Value - w.Time.GetUtcNow(), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([a], w.Cloud.Eips.Select(e => e.AllocationId));
        _ = b;
    }

    [Fact]
    public async Task A_leftover_in_backoff_is_not_tried_until_its_time_and_backoff_doubles()
    {
        using var w = new EngineWorld();
        var (a, _) = await TwoPendingReleasesAsync(w);
        w.Cloud.FailAlways("ReleaseEipAddress", "ServiceUnavailable", 503, allocationId: a);

        async Task AddDelAsync(string cid)
        {
            await w.AddAsync(cid);
            await w.DelAsync(cid);
        }

        await AddDelAsync("c-1"); // attempt 2: next in 5 s
        var releasesOfA = w.Cloud.Calls.Count(c => c.Action == "ReleaseEipAddress" && c.AllocationId == a);
        await AddDelAsync("c-2"); // within the backoff: A is not touched
        Assert.Equal(releasesOfA, w.Cloud.Calls.Count(c => c.Action == "ReleaseEipAddress" && c.AllocationId == a));

        w.Time.Advance(TimeSpan.FromSeconds(6));
        await AddDelAsync("c-3"); // due again: attempt 3, next in 10 s
        Assert.Equal(releasesOfA + 1, w.Cloud.Calls.Count(c => c.Action == "ReleaseEipAddress" && c.AllocationId == a));
        var rec = w.Record("c-a")!;
        Assert.Equal(3, rec.Attempts);
        Assert.InRange(rec.NextAttemptAt!.Value - w.Time.GetUtcNow(), TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_sweep_never_touches_a_record_whose_unbind_is_unconfirmed()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-held", ip: "10.0.1.8", pod: "held");
        var held = w.Record("c-held")!.AllocationId!;
        w.Cloud.FailAlways("UnassociateEipAddress", "ServiceUnavailable", 503, allocationId: held);
        await w.DelFailsAsync("c-held", ip: "10.0.1.8");
        var callsOnHeld = w.Cloud.Calls.Count(c => c.AllocationId == held);

        await w.AddAsync("c-1");
        await w.DelAsync("c-1");

        Assert.Equal(callsOnHeld, w.Cloud.Calls.Count(c => c.AllocationId == held));
        Assert.Equal("InUse", w.Cloud.Get(held)!.Status);
    }

    [Fact]
    public async Task The_sweep_takes_at_most_three_leftovers_per_del()
    {
        using var w = new EngineWorld();
        string[] ips = ["10.0.1.8", "10.0.1.9", "10.0.1.10", "10.0.1.11"];
        w.Metadata.AddEni("00:16:3e:00:00:02", EngineWorld.PodEni, EngineWorld.PodEniPrimary, [EngineWorld.PodIp, .. ips]);
        for (var i = 0; i < ips.Length; i++) await w.AddAsync($"c-{i}", ip: ips[i], pod: $"p{i}");
        w.Cloud.FailAlways("ReleaseEipAddress", "ServiceUnavailable", 503);
        for (var i = 0; i < ips.Length; i++) await w.DelAsync($"c-{i}", ip: ips[i], pod: $"p{i}");
        w.Cloud.ClearFaults();

        await w.AddAsync("c-x");
        Assert.EndsWith("; finished 3 leftover(s)", await w.DelAsync("c-x"));
        Assert.Single(w.Journal.List());
    }

    // ------------------------------------------------------------------ GC

    [Fact]
    public async Task Gc_with_a_list_gives_back_what_is_not_in_it_and_keeps_the_rest()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-live", ip: "10.0.1.8", pod: "live");
        await w.AddAsync("c-stale", ip: "10.0.1.9", pod: "stale");
        var live = w.Record("c-live")!.AllocationId!;

        Assert.Equal("gc: 1 given back", await w.GcAsync(["c-live"]));

        Assert.Equal(AttachmentPhase.Bound, w.Record("c-live")!.Phase);
        Assert.Null(w.Record("c-stale"));
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([live], w.Cloud.Eips.Select(e => e.AllocationId));
    }

    [Fact]
    public async Task Gc_without_a_list_keeps_live_and_kept_records_but_finishes_pending_work_and_expired_ttls()
    {
        using var w = new EngineWorld();
        w.Kube.AddPod(EngineWorld.Ns, "kept", ownerKind: "StatefulSet");
        w.Kube.AddPod(EngineWorld.Ns, "ttl", ownerKind: "StatefulSet");
        await w.AddAsync("c-live");
        await w.AddAsync("c-kept", EngineWorld.Keeping("Never"), ip: "10.0.1.8", pod: "kept");
        await w.AddAsync("c-ttl", EngineWorld.Keeping("10m"), ip: "10.0.1.9", pod: "ttl");
        await w.DelAsync("c-kept", ip: "10.0.1.8", pod: "kept");
        await w.DelAsync("c-ttl", ip: "10.0.1.9", pod: "ttl");
        Assert.NotNull(w.Record("c-ttl")!.ReleaseAfter);

        Assert.Equal("gc: 0 given back", await w.GcAsync(null));
        Assert.Equal(3, w.Journal.List().Count);

        w.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal("gc: 1 given back", await w.GcAsync(null));

        Assert.Null(w.Record("c-ttl"));
        Assert.Equal(AttachmentPhase.Retained, w.Record("c-kept")!.Phase);
        Assert.Equal(AttachmentPhase.Bound, w.Record("c-live")!.Phase);
        w.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, w.Cloud.Eips.Count);
    }

    [Fact]
    public async Task Gc_goes_on_past_a_record_the_cloud_refuses_and_reports_it_with_11()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-a", ip: "10.0.1.8", pod: "a");
        await w.AddAsync("c-b", ip: "10.0.1.9", pod: "b");
        var a = w.Record("c-a")!.AllocationId!;
        w.Cloud.FailAlways("UnassociateEipAddress", "ServiceUnavailable", 503, allocationId: a);

        var e = await Assert.ThrowsAsync<CniException>(() => w.GcAsync([]));

        Assert.Equal(CniCode.TryAgainLater, e.Code);
        Assert.Contains("c-a", e.Details);
        Assert.DoesNotContain("not found", e.Details, StringComparison.OrdinalIgnoreCase);
        Assert.Null(w.Record("c-b"));
        Assert.NotNull(w.Record("c-a"));
    }

    [Fact]
    public async Task Gc_with_nothing_recorded_does_nothing()
    {
        using var w = new EngineWorld();
        Assert.Equal("nothing recorded", await w.GcAsync(null));
        Assert.Empty(w.Cloud.Calls);
    }

    // ------------------------------------------------------------------ CHECK

    [Fact]
    public async Task Check_passes_while_the_eip_is_in_use_on_the_recorded_eni_and_ip()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        await w.CheckAsync("c-1");
    }

    public static TheoryData<string> Mismatches => new() { "unbound", "moved", "deleted", "releasing-record" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task Check_is_108_when_the_cloud_does_not_show_the_binding(string what)
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var id = w.Record("c-1")!.AllocationId!;
        switch (what)
        {
            case "unbound": w.Cloud.UnbindNow(id); break;
            case "moved": w.Cloud.UnbindNow(id); w.Cloud.BindNow(id, EngineWorld.PodEni, "10.0.1.9"); break;
            case "deleted": w.Cloud.DeleteNow(id); break;
            case "releasing-record": w.WriteRecord(w.Record("c-1")! with { Phase = AttachmentPhase.Releasing }); break;
        }

        var e = await Assert.ThrowsAsync<CniException>(() => w.CheckAsync("c-1"));

        Assert.Equal(CniCode.BindingMismatch, e.Code);
    }

    [Fact]
    public async Task Check_without_a_record_fails_only_for_a_pod_that_asks_and_only_with_the_feature_on()
    {
        using var w = new EngineWorld();
        Assert.Equal(CniCode.BindingMismatch, (await Assert.ThrowsAsync<CniException>(() => w.CheckAsync("c-1"))).Code);
        await w.CheckAsync("c-1", new Dictionary<string, string>());
        w.EniConf = w.EniConf with { EnableEipPool = false };
        await w.CheckAsync("c-1");
        Assert.Empty(w.Cloud.Calls);
    }

    [Fact]
    public async Task Check_while_the_cloud_is_throttling_is_11()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        w.Cloud.Fail("DescribeEipAddresses", "Throttling.User", 400);
        Assert.Equal(CniCode.TryAgainLater, (await Assert.ThrowsAsync<CniException>(() => w.CheckAsync("c-1"))).Code);
    }
}

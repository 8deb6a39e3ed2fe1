using EipCni.Cni;
using EipCni.Eip;
using EipCni.Node;

namespace EipCni.Tests.Node;

/// <summary>The leader's cluster sweep: what it gives back, and above all what it never touches.</summary>
public sealed class ClusterSweepTests
{
    private static CancellationToken Budget() => SweepWorld.Budget();

    [Fact]
    public async Task What_is_not_eip_cnis_or_belongs_to_a_live_pod_is_never_touched()
    {
        using var w = new SweepWorld();
        w.Cloud.Seed("eip-untagged", "47.2.2.1");
        var otherCluster = w.Ours("web-other", "uid-other", cluster: "c2");
        w.Cloud.Seed("eip-user-tagged", "47.2.2.2", [new(OwnershipTags.Cluster, SweepWorld.Cluster)]); // a user put our cluster tag on it
        var named = w.Ours("web-named", "uid-gone-1");
        w.Pod("web-user", "uid-user", annotations: new Dictionary<string, string> { ["k8s.aliyun.com/pod-eip-instanceid"] = named });
        var onLiveIp = w.Ours("web-gone", "uid-gone-2", boundIp: "10.0.9.9");
        w.Pod("web-new", "uid-new", ip: "10.0.9.9"); // the IP went to another pod; its EIP is that pod's ADD's business
        var live = w.Ours("web-live", "uid-live", boundIp: "10.0.1.7");
        w.Pod("web-live", "uid-live", ip: "10.0.1.7");
        var goneFree = w.Ours("web-done", "uid-done");
        var goneBound = w.Ours("web-crashed", "uid-crashed", boundIp: "10.0.1.8");

        var report = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.Equal(["gone", "gone"], [w.Status(goneFree), w.Status(goneBound)]);
        Assert.Equal(["UnassociateEipAddress", "ReleaseEipAddress"], w.Mutations(goneBound));
        Assert.Equal(["ReleaseEipAddress"], w.Mutations(goneFree));
        foreach (var untouched in new[] { "eip-untagged", otherCluster, "eip-user-tagged", named, onLiveIp, live })
        {
            Assert.Empty(w.Mutations(untouched));
            Assert.NotEqual("gone", w.Status(untouched));
        }
        Assert.DoesNotContain(report.Verdicts, v => v.Eip.AllocationId is "eip-untagged" || v.Eip.AllocationId == otherCluster);
        Assert.Equal(2, w.Metrics.SweepReleases.Value("pod_gone"));
        Assert.Equal(2, report.Released);
        string Reason(string id) => report.Verdicts.Single(v => v.Eip.AllocationId == id).Reason;
        Assert.Contains("not eip-cni's", Reason("eip-user-tagged"));
        Assert.Contains("named by pod default/web-user", Reason(named));
        Assert.Contains("the IP of live pod default/web-new", Reason(onLiveIp));
        Assert.Contains("the IP of live pod default/web-live", Reason(live));
    }

    [Fact]
    public async Task A_dry_run_prints_one_line_per_eip_and_changes_nothing()
    {
        using var w = new SweepWorld();
        var gone = w.Ours("web-done", "uid-done", boundIp: "10.0.1.8");
        var live = w.Ours("web-live", "uid-live");
        w.Pod("web-live", "uid-live");
        w.Kube.Nodes.Remove("node-2");
        var orphan = w.Ours("db-0", "uid-db", node: "node-2", strategy: "Never");
        var calls = w.Cloud.Calls.Count;

        var report = await w.Sweep().RunOnceAsync(dryRun: true, Budget());

        Assert.DoesNotContain(w.Cloud.Calls.Skip(calls), c => c.Action != "DescribeEipAddresses");
        Assert.False(File.Exists(w.MemoryFile));
        Assert.Equal(["InUse", "Available", "Available"], [w.Status(gone), w.Status(live), w.Status(orphan)]);
        Assert.Equal([
            $"{orphan}\t47.1.1.3\tdefault/db-0\tnode-2\twait\tnode node-2 no longer exists; pod default/db-0 (uid-db) is gone; release strategy Never; orphaned since 2025-01-01T00:00:00Z, acted on from 2025-01-01T00:10:00Z",
            $"{gone}\t47.1.1.1\tdefault/web-done\tnode-1\tunbind+release\tpod default/web-done (uid-done) is gone; release strategy Follow",
            $"{live}\t47.1.1.2\tdefault/web-live\tnode-1\tkeep\tpod default/web-live (uid-live) is live on node-1",
        ], report.Verdicts.Select(v => v.ToString()));
        Assert.Equal(0, w.Metrics.SweepPasses.Value("ok"));
    }

    [Fact]
    public async Task A_kept_eip_is_released_after_its_time_and_not_before()
    {
        using var w = new SweepWorld();
        var ttl = w.Ours("db-1", "uid-db-1", strategy: "1h0m0s", releaseAfter: SweepWorld.Rfc3339(w.Time.GetUtcNow().AddHours(1)));
        var never = w.Ours("db-2", "uid-db-2", strategy: "Never", releaseAfter: "");

        var early = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.Empty(w.Mutations(ttl));
        Assert.Contains("kept for its pod identity until 2025-01-01T01:00:00Z", early.Verdicts.Single(v => v.Eip.AllocationId == ttl).Reason);

        w.Time.Advance(TimeSpan.FromMinutes(59));
        await w.Sweep().RunOnceAsync(dryRun: false, Budget());
        Assert.Empty(w.Mutations(ttl));

        w.Time.Advance(TimeSpan.FromMinutes(2));
        var late = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.Equal(["ReleaseEipAddress"], w.Mutations(ttl));
        Assert.Equal("gone", w.Status(ttl));
        Assert.Equal(1, w.Metrics.SweepReleases.Value("kept_expired"));
        Assert.Empty(w.Mutations(never));
        Assert.Contains("release strategy Never", late.Verdicts.Single(v => v.Eip.AllocationId == never).Reason);
    }

    [Fact]
    public async Task An_orphan_of_a_gone_node_waits_out_the_grace_period_even_across_agent_restarts()
    {
        using var w = new SweepWorld();
        w.Kube.Nodes.Remove("node-2"); // crashed and deleted; its pod object lingers
        w.Pod("web-lost", "uid-lost", node: "node-2", ip: "10.0.5.5");
        var id = w.Ours("web-lost", "uid-lost", node: "node-2", boundIp: "10.0.5.5");

        var first = await w.Sweep().RunOnceAsync(dryRun: false, Budget());
        Assert.Equal(SweepDecision.Wait, first.Verdicts.Single().Decision);
        Assert.True(File.Exists(w.MemoryFile));

        w.Time.Advance(TimeSpan.FromMinutes(9));
        var second = await w.Sweep().RunOnceAsync(dryRun: false, Budget()); // a restarted agent: the memory is read back
        Assert.Equal(SweepDecision.Wait, second.Verdicts.Single().Decision);
        Assert.Contains("orphaned since 2025-01-01T00:00:00Z", second.Verdicts.Single().Reason);
        Assert.Empty(w.Mutations(id));

        w.Time.Advance(TimeSpan.FromMinutes(1));
        var third = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.Equal("unbind+release", third.Verdicts.Single().Action);
        Assert.Equal(SweepOutcomes.Released, third.Verdicts.Single().Outcome);
        Assert.Equal(["UnassociateEipAddress", "ReleaseEipAddress"], w.Mutations(id));
        Assert.Equal(1, w.Metrics.SweepReleases.Value("node_gone"));
    }

    [Fact]
    public async Task An_orphan_seen_live_again_starts_its_wait_over()
    {
        using var w = new SweepWorld();
        w.Kube.Nodes.Remove("node-2");
        w.Pod("web-lost", "uid-lost", node: "node-2");
        var id = w.Ours("web-lost", "uid-lost", node: "node-2");
        var sweep = w.Sweep();
        await sweep.RunOnceAsync(dryRun: false, Budget());

        w.Time.Advance(TimeSpan.FromMinutes(6));
        w.Kube.Nodes.Add("node-2"); // the node came back (a NotReady blip, re-registered)
        await sweep.RunOnceAsync(dryRun: false, Budget());
        w.Time.Advance(TimeSpan.FromMinutes(6));
        w.Kube.Nodes.Remove("node-2");
        var again = await sweep.RunOnceAsync(dryRun: false, Budget());

        Assert.Equal(SweepDecision.Wait, again.Verdicts.Single().Decision);
        Assert.Empty(w.Mutations(id));
    }

    [Fact]
    public async Task A_pod_that_reappeared_on_another_node_keeps_its_eip()
    {
        using var w = new SweepWorld();
        w.Kube.Nodes.Remove("node-2");
        var id = w.Ours("db-0", "uid-old", node: "node-2", strategy: "Never", boundIp: "10.0.5.6");
        w.Pod("db-0", "uid-new", node: "node-1", ip: "10.0.1.9"); // the StatefulSet made it again elsewhere

        await w.Sweep().RunOnceAsync(dryRun: false, Budget());
        w.Time.Advance(TimeSpan.FromMinutes(30));
        var report = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.Equal("pod default/db-0 (uid-old) reappeared on node-1", report.Verdicts.Single().Reason);
        Assert.Empty(w.Mutations(id));
        Assert.Equal("InUse", w.Status(id));
    }

    [Fact]
    public async Task An_orphan_whose_pod_keeps_its_eip_is_unbound_and_marked_kept_as_del_would()
    {
        using var w = new SweepWorld();
        w.Kube.Nodes.Remove("node-2");
        var never = w.Ours("db-0", "uid-db-0", node: "node-2", strategy: "Never", boundIp: "10.0.5.7");
        var ttl = w.Ours("db-1", "uid-db-1", node: "node-2", strategy: "30m0s", boundIp: "10.0.5.8");
        await w.Sweep().RunOnceAsync(dryRun: false, Budget());
        w.Time.Advance(TimeSpan.FromMinutes(10));

        var report = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.All(report.Verdicts, v => Assert.Equal("unbind+keep-for-pod", v.Action));
        Assert.Equal(["UnassociateEipAddress", "TagResources"], w.Mutations(never));
        var kept = w.Cloud.Get(never)!;
        Assert.Equal(("Available", "true", ""), (kept.Status, kept.Tags[OwnershipTags.Retained], kept.Tags[OwnershipTags.ReleaseAfter]));
        Assert.Equal(SweepWorld.Rfc3339(w.Time.GetUtcNow().AddMinutes(30)), w.Cloud.Get(ttl)!.Tags[OwnershipTags.ReleaseAfter]);
        Assert.Equal(2, w.Metrics.SweepKept.Value());

        // From now on they are kept EIPs: a pod of that name takes one back; the TTL one goes when its time is over.
        w.Time.Advance(TimeSpan.FromMinutes(31));
        await w.Sweep().RunOnceAsync(dryRun: false, Budget());
        Assert.Equal(("Available", "gone"), (w.Status(never), w.Status(ttl)));
    }

    [Fact]
    public async Task With_the_api_server_down_only_expired_kept_eips_are_released()
    {
        using var w = new SweepWorld();
        var gone = w.Ours("web-done", "uid-done");
        var expired = w.Ours("db-1", "uid-db-1", strategy: "1m0s", releaseAfter: SweepWorld.Rfc3339(w.Time.GetUtcNow().AddMinutes(-1)));
        w.Kube.Nodes.Remove("node-2");
        w.Pod("web-lost", "uid-lost", node: "node-2");
        var orphan = w.Ours("web-lost", "uid-lost", node: "node-2");
        await w.Sweep().RunOnceAsync(dryRun: false, Budget()); // remembered as orphaned
        w.Kube.FailLists = Fakes.FakeKubePods.Unreachable();
        w.Time.Advance(TimeSpan.FromMinutes(15));

        var report = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.Contains("Connection refused", report.ApiError);
        Assert.Equal("gone", w.Status(expired));
        Assert.NotEqual("gone", w.Status(orphan));
        Assert.Contains("cannot be read", report.Verdicts.Single(v => v.Eip.AllocationId == orphan).Reason);
        Assert.Contains(orphan, File.ReadAllText(w.MemoryFile)); // not forgotten: unjudged is not "no longer orphaned"
        Assert.Equal(1, w.Metrics.SweepPasses.Value("api_unreachable"));
        _ = gone;
    }

    [Fact]
    public async Task An_eip_a_new_sandbox_takes_while_the_sweep_lists_is_left_for_the_next_pass()
    {
        using var w = new SweepWorld();
        var kept = w.Ours("db-1", "uid-db-1", strategy: "1m0s", releaseAfter: SweepWorld.Rfc3339(w.Time.GetUtcNow().AddMinutes(-1)));
        // The pod's next sandbox takes its kept EIP back (ADD re-tags it) after the EIPs were listed.
        w.Kube.OnList = () => w.Cloud.TagResourcesAsync([kept], [new(OwnershipTags.Retained, "false"), new(OwnershipTags.ReleaseAfter, ""),
            new(OwnershipTags.ContainerId, "ctr-new")], Budget()).GetAwaiter().GetResult();

        var report = await w.Sweep().RunOnceAsync(dryRun: false, Budget());

        Assert.Equal("skipped: its tags changed since it was listed", report.Verdicts.Single().Outcome);
        Assert.Equal(["TagResources"], w.Mutations(kept));
        Assert.NotEqual("gone", w.Status(kept));
    }

    [Fact]
    public async Task A_binding_to_an_enis_primary_ip_is_judged_by_that_ip()
    {
        using var w = new SweepWorld();
        w.Cloud.EniPrimaryIps["eni-pods"] = "10.0.1.1"; // reads back with an empty PrivateIpAddress
        var live = w.Ours("web-a", "uid-gone-a", boundIp: "10.0.1.1");
        w.Pod("web-b", "uid-b", ip: "10.0.1.1");
        var enis = new Fakes.FakeNetworkInterfaces();
        enis.Enis.Add(new EipCni.Cloud.NetworkInterface { NetworkInterfaceId = "eni-pods", PrivateIpAddress = "10.0.1.1" });

        var unresolved = await w.Sweep().RunOnceAsync(dryRun: true, Budget());
        var resolved = await w.Sweep(enis: enis).RunOnceAsync(dryRun: false, Budget());

        Assert.Contains("could not be resolved", unresolved.Verdicts.Single().Reason);
        Assert.Equal("bound to 10.0.1.1, the IP of live pod default/web-b", resolved.Verdicts.Single().Reason);
        Assert.Empty(w.Mutations(live));
    }

    [Fact]
    public async Task The_sweep_paces_its_describes_and_slows_down_when_throttled()
    {
        using var w = new SweepWorld();
        for (var i = 0; i < 250; i++) w.Ours($"web-{i}", $"uid-{i}");
        for (var i = 0; i < 250; i++) w.Pod($"web-{i}", $"uid-{i}");
        w.Cloud.Fail("DescribeEipAddresses", "Throttling.User", times: 1);
        var start = w.Time.GetUtcNow();

        var report = await w.Sweep(describesPerMinute: 60).RunOnceAsync(dryRun: false, Budget());

        Assert.Equal(250, report.Verdicts.Count);
        Assert.All(report.Verdicts, v => Assert.Equal(SweepDecision.Keep, v.Decision));
        Assert.Equal(4, report.Describes); // 3 pages, one asked twice
        // One a second, and the throttled page held back at least 5 s.
        Assert.True(w.Time.GetUtcNow() - start >= TimeSpan.FromSeconds(7), $"took {w.Time.GetUtcNow() - start} of fake time");
    }

    [Fact]
    public async Task The_leader_sweeps_until_its_leadership_ends()
    {
        using var w = new SweepWorld();
        var gone = w.Ours("web-done", "uid-done");
        var sweep = w.Sweep();
        using var leadership = new CancellationTokenSource();

        var leading = sweep.LeadAsync(leadership.Token); // the fake clock runs through the intervals: passes follow at once
        while (sweep.LastPassAt is null) await Task.Delay(10);
        leadership.Cancel();
        await leading.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["ReleaseEipAddress"], w.Mutations(gone));
        Assert.True(w.Metrics.SweepPasses.Value("ok") >= 1);
        Assert.True(leading.IsCompletedSuccessfully);
    }
}

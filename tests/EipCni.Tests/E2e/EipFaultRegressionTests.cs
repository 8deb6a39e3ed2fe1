using EipCni.Cni;
using System.Text.Json.Nodes;
using EipCni.Cloud;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// One minimal case per defect the fault campaign found: late cloud work is never forgotten, DEL never hands back an
/// IP our EIP may still point at, a stuck record blocks nobody, an unbind refused in transition is retried, and slow
/// event posting never slows ADD. Every assertion reads the simulators' state, not the plugin's claims.
/// </summary>
public class EipFaultRegressionTests : IClassFixture<EipWorld>, IDisposable
{
    private const string BandwidthPackage = "network.alibabacloud.com/eip-common-bandwidth-package-id";
    private const string UserEip = "network.alibabacloud.com/pod-eip-instanceid";
    private readonly EipWorld _world;
    private readonly TempDir _userState = new("eipcni-user");

    public EipFaultRegressionTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    public void Dispose() => _userState.Dispose();

    private CniChain Chain(int addTimeout = 30, int delTimeout = 3) =>
        _world.Chain(edit: p => { p["addTimeoutSeconds"] = addTimeout; p["delTimeoutSeconds"] = delTimeout; });

    private (string PodIp, string Id) Add(CniChain chain, string containerId, string podName = "web-0", string? netnsPath = null,
        Dictionary<string, string>? annotations = null)
    {
        annotations ??= AutoEip;
        _world.CreatePod(podName, annotations);
        var add = chain.Cnitool("add", containerId: containerId, capArgs: Caps(annotations), podName: podName, netnsPath: netnsPath);
        Assert.True(add.ExitCode == 0, add.Stderr + chain.Log());
        var ip = IpOfResult(add.Stdout);
        var eip = Assert.Single(_world.Eips(), e => e.Str("privateIpAddress") == ip && e.Str("status") == "InUse");
        return (ip, eip!.Str("allocationId"));
    }

    private JsonNode[] BoundTo(string ip) =>
        _world.Eips().Where(e => e.Str("privateIpAddress") == ip && e.Str("status") is "InUse" or "Associating" or "Unassociating").Select(e => e!).ToArray();

    /// <summary>DEL the way kubelet does: retried until it succeeds (bounded here), each attempt through libcni.</summary>
    private ProcessResult DelUntilSuccess(CniChain chain, string containerId, IDictionary<string, string> annotations, TimeSpan within, string podName = "web-0")
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var del = chain.Cnitool("del", containerId: containerId, capArgs: Caps(annotations), podName: podName);
            if (del.ExitCode == 0 || clock.Elapsed > within) return del;
            Thread.Sleep(300);
        }
    }

    [Theory]
    [InlineData("stall")]
    [InlineData("drop")]
    public void Del_is_held_with_11_while_the_unbind_is_unconfirmed_and_posts_one_warning(string how)
    {
        using var chain = Chain();
        var (ip, id) = Add(chain, "held-1");
        _world.CloudFault(how == "stall" ? Fault("*", stallMs: 60000) : Fault("*", drop: true));

        var first = chain.Cnitool("del", containerId: "held-1", capArgs: Caps(AutoEip));
        var second = chain.Plugin("DEL", "held-1", ip, annotations: AutoEip);

        Assert.NotEqual(0, first.ExitCode);
        Assert.True(first.Elapsed < TimeSpan.FromSeconds(12), $"DEL took {first.Elapsed} with delTimeoutSeconds 3");
        NativePlugin.AssertError(second, 11, id);
        Assert.DoesNotContain("not found", first.Stderr + second.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(ip, chain.IpamReservations()); // libcni stopped before host-local: the IP is not handed out
        Assert.Equal("InUse", _world.Eip(id).Str("status"));

        _world.ClearFaults();
        var del = DelUntilSuccess(chain, "held-1", AutoEip, TimeSpan.FromSeconds(30));

        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        Assert.Empty(BoundTo(ip));
        _world.AssertNothingLeftBehind();
        Assert.Empty(chain.JournalRecords());
        Assert.DoesNotContain(ip, chain.IpamReservations());
        var held = _world.KubeEvents().Where(e => e.Str("reason") == "EipUnbindPending").ToArray();
        var warning = Assert.Single(held); // one per held DEL, not one per retry
        Assert.Contains(id, warning.Str("message"));
        Assert.Contains(ip, warning.Str("message"));
    }

    [Fact]
    public void A_del_whose_release_fails_succeeds_once_unbound_and_a_later_del_releases_it()
    {
        // Only the release of an EIP that is already off the IP may be deferred; containerd never calls GC, so the
        // next DEL that finds the cloud answering finishes it.
        using var chain = Chain();
        using var other = new Netns();
        var (ip, id) = Add(chain, "rel-1", "web-0");
        Add(chain, "rel-2", "web-1", other.Path);
        _world.CloudFault(Fault("ReleaseEipAddress", "InternalError", 500));

        var del = chain.Cnitool("del", containerId: "rel-1", capArgs: Caps(AutoEip));

        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        Assert.Equal("Available", _world.Eip(id).Str("status"));
        Assert.Empty(BoundTo(ip));
        var pending = chain.JournalRecord("rel-1");
        Assert.Equal("Releasing", pending.Str("phase"));
        Assert.True(pending!["unbound"]!.GetValue<bool>());

        _world.ClearFaults();
        var next = chain.Cnitool("del", containerId: "rel-2", capArgs: Caps(AutoEip), podName: "web-1", netnsPath: other.Path);

        Assert.True(next.ExitCode == 0, next.Stderr + chain.Log());
        Assert.Empty(chain.JournalRecords());
        _world.AssertNothingLeftBehind();
    }

    [Fact]
    public void An_allocation_that_commits_after_the_budget_is_found_by_its_client_token_and_released()
    {
        // The cloud keeps processing after the plugin gave up: the EIP appears seconds after ADD's rollback looked.
        using var chain = Chain(addTimeout: 5, delTimeout: 3);
        _world.CreatePod("web-0", AutoEip);
        _world.CloudFault(Fault("AllocateEipAddress", stallMs: 7000, count: 1));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var add = chain.Cnitool("add", containerId: "late-alloc-1", capArgs: Caps(AutoEip));
        Assert.NotEqual(0, add.ExitCode);
        // The runtime DELs the failed sandbox; DEL may succeed at once (an allocation cannot point at the IP).
        var del = DelUntilSuccess(chain, "late-alloc-1", AutoEip, TimeSpan.FromSeconds(30));
        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        var committed = TimeSpan.FromSeconds(8) - clock.Elapsed; // the stalled allocation has committed by then
        if (committed > TimeSpan.Zero) Thread.Sleep(committed);

        // Any later pass (here the CNI GC a runtime or the agent sends) learns what the token created and releases it.
        WaitUntil(() =>
        {
            chain.Cnitool("gc");
            return _world.ApiEips().All(e => e.Str("status") == "Releasing") && chain.JournalRecords().Length == 0;
        }, TimeSpan.FromSeconds(30), "the late EIP to be released");
        Assert.Contains(_world.CloudRequests(), r => r.Str("action") == "ReleaseEipAddress");
    }

    [Fact]
    public void An_association_of_a_user_eip_that_lands_after_rollback_is_undone_before_del_succeeds()
    {
        using var chain = Chain(addTimeout: 5, delTimeout: 3);
        var user = _world.CreateUserEip();
        var userId = user.Str("allocationId");
        var annotations = new Dictionary<string, string> { [UserEip] = userId };
        _world.CreatePod("web-0", annotations);
        _world.CloudFault(Fault("AssociateEipAddress", stallMs: 7000, count: 1));

        var clock = System.Diagnostics.Stopwatch.StartNew();

        var add = chain.Cnitool("add", containerId: "late-assoc-1", capArgs: Caps(annotations));
        Assert.NotEqual(0, add.ExitCode);
        var ip = chain.PodIp();
        var del = DelUntilSuccess(chain, "late-assoc-1", annotations, TimeSpan.FromSeconds(40));

        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        // The moment DEL succeeded, and from then on: the user's EIP does not point at the pod's (recycled) IP.
        Assert.Empty(BoundTo(ip));
        var landed = TimeSpan.FromSeconds(8.5) - clock.Elapsed; // the stalled association has been processed by then
        if (landed > TimeSpan.Zero) Thread.Sleep(landed);
        Assert.Empty(BoundTo(ip));
        Assert.Equal("Available", _world.Eip(userId).Str("status"));
        Assert.Empty(chain.JournalRecords());
        Assert.DoesNotContain(_world.CloudRequests(), r => r.Str("action") == "ReleaseEipAddress" && r!["params"].Str("AllocationId") == userId);
    }

    [Fact]
    public void An_unbind_refused_while_the_eip_is_in_use_is_retried_instead_of_waiting_out_the_budget()
    {
        using var chain = Chain(delTimeout: 20);
        var (ip, id) = Add(chain, "incorrect-1");
        _world.CloudFault(Fault("UnassociateEipAddress", "IncorrectEipStatus", 400, count: 2));

        var del = chain.Cnitool("del", containerId: "incorrect-1", capArgs: Caps(AutoEip));

        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        Assert.True(del.Elapsed < TimeSpan.FromSeconds(8), $"DEL took {del.Elapsed}; it waited instead of retrying the unbind");
        Assert.Empty(BoundTo(ip));
        Assert.Equal(3, _world.CloudRequests().Count(r => r.Str("action") == "UnassociateEipAddress" && r!["params"].Str("AllocationId") == id));
        _world.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_eip_deleted_in_the_console_counts_as_done_and_no_call_loops_on_it()
    {
        using var chain = Chain();
        var annotations = new Dictionary<string, string>(AutoEip) { [BandwidthPackage] = _world.BandwidthPackageId };
        var (ip, id) = Add(chain, "console-1", annotations: annotations);
        using (var user = _world.UserCloud(_userState.Path))
        using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await user.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(id) { InstanceId = _world.PrimaryEniId, PrivateIpAddress = ip }, budget.Token);
            WaitUntil(() => _world.Eip(id).Str("status") == "Available", TimeSpan.FromSeconds(30), "the console unbind");
            await user.Eip.RemoveCommonBandwidthPackageIpAsync(_world.BandwidthPackageId, id, null, budget.Token);
            await user.Eip.ReleaseEipAddressAsync(id, budget.Token);
        }
        WaitUntil(() => _world.Eips().All(e => e.Str("allocationId") != id), TimeSpan.FromSeconds(30), "the console release");
        var before = _world.MutatingCloudRequests().Length;

        var del = chain.Cnitool("del", containerId: "console-1", capArgs: Caps(annotations));

        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        Assert.Empty(chain.JournalRecords());
        Assert.Equal(before, _world.MutatingCloudRequests().Length); // Describe showed it gone: nothing to undo
    }

    [Fact]
    public async Task A_stuck_leftover_does_not_hold_up_the_others_and_backs_off_on_its_own()
    {
        using var chain = Chain();
        using var n2 = new Netns();
        using var n3 = new Netns();
        var withPackage = new Dictionary<string, string>(AutoEip) { [BandwidthPackage] = _world.BandwidthPackageId };
        var (_, stuckId) = Add(chain, "stuck-1", "web-0", annotations: withPackage);
        var (_, okId) = Add(chain, "ok-1", "web-1", n2.Path);
        Add(chain, "trigger-1", "web-2", n3.Path);

        // Both DELs unbind, but every release fails: two records wait for their release.
        _world.CloudFault(Fault("ReleaseEipAddress", "InternalError", 500));
        Assert.Equal(0, chain.Cnitool("del", containerId: "stuck-1", capArgs: Caps(withPackage)).ExitCode);
        Assert.Equal(0, chain.Cnitool("del", containerId: "ok-1", capArgs: Caps(AutoEip), podName: "web-1", netnsPath: n2.Path).ExitCode);
        _world.ClearFaults();
        Assert.False(chain.JournalRecord("stuck-1")!["inBandwidthPackage"]!.GetValue<bool>()); // it left the package before the release failed
        // The account owner puts it into a package the record does not know of (a late add is left by the release
        // itself); the cloud refuses to release an EIP inside one, for good.
        using (var user = _world.UserCloud(_userState.Path))
        using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await user.Eip.AddCommonBandwidthPackageIpAsync(_world.BandwidthPackageId, stuckId, null, budget.Token);
        var stuckPath = Directory.GetFiles(Path.Combine(chain.StateDir, "networks", chain.NetName), "*.json")
            .Single(f => File.ReadAllText(f).Contains("\"stuck-1\""));
        var stuck = JsonNode.Parse(File.ReadAllText(stuckPath))!.AsObject();
        stuck.Remove("bandwidthPackageId");
        File.WriteAllText(stuckPath, stuck.ToJsonString());

        var del = chain.Cnitool("del", containerId: "trigger-1", capArgs: Caps(AutoEip), podName: "web-2", netnsPath: n3.Path);

        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        Assert.DoesNotContain(_world.ApiEips(), e => e.Str("allocationId") == okId && e.Str("status") != "Releasing");
        Assert.Null(chain.JournalRecord("ok-1"));
        var kept = chain.JournalRecord("stuck-1");
        Assert.NotNull(kept);
        Assert.Equal("Available", _world.Eip(stuckId).Str("status"));
        Assert.True(kept!["attempts"]!.GetValue<int>() >= 2);
        Assert.True(DateTimeOffset.Parse(kept.Str("nextAttemptAt")) > DateTimeOffset.UtcNow, "the stuck record has its own backoff");
    }

    [Fact]
    public void Add_clears_an_eip_left_on_its_ip_by_a_finished_attachment_instead_of_failing()
    {
        using var chain = Chain();
        var (ip, oldId) = Add(chain, "old-owner-1");
        // The node lost the old attachment's state (its record is gone) while the EIP stayed on the IP.
        foreach (var f in Directory.GetFiles(Path.Combine(chain.StateDir, "networks", chain.NetName), "*.json")) File.Delete(f);
        _world.CreatePod("web-9", AutoEip);

        var add = chain.Plugin("ADD", "new-owner-1", ip, podName: "web-9", annotations: AutoEip);

        Assert.True(add.ExitCode == 0, add.Stdout + chain.Log());
        var now = Assert.Single(BoundTo(ip));
        Assert.NotEqual(oldId, now.Str("allocationId"));
        Assert.Equal("new-owner-1", now["tags"]!["eip-cni.alibabacloud.com/container-id"]!.GetValue<string>());
        Assert.Equal("Available", _world.Eip(oldId).Str("status"));
    }

    [Fact]
    public void Add_never_takes_an_ip_from_a_live_attachment_or_a_user_eip()
    {
        using var chain = Chain();
        var (ip, liveId) = Add(chain, "live-owner-1");
        _world.CreatePod("web-8", AutoEip);

        var add = chain.Plugin("ADD", "intruder-1", ip, podName: "web-8", annotations: AutoEip);

        Assert.NotEqual(0, add.ExitCode);
        Assert.Equal("InUse", _world.Eip(liveId).Str("status"));
        Assert.Equal(ip, _world.Eip(liveId).Str("privateIpAddress"));
    }

    [Fact]
    public void A_slow_event_api_adds_almost_nothing_to_add()
    {
        using var chain = Chain();
        using var other = new Netns();
        Add(chain, "warm-1", "web-0"); // first ADD pays one-off costs (page cache, simulator warm-up)
        var baseline = chain.Cnitool("add", containerId: "fast-1", capArgs: Caps(AutoEip), podName: "web-0", netnsPath: other.Path);
        Assert.True(baseline.ExitCode == 0, baseline.Stderr);
        Assert.Equal(0, chain.Cnitool("del", containerId: "fast-1", capArgs: Caps(AutoEip), netnsPath: other.Path).ExitCode);
        _world.KubeFault(new JsonObject { ["method"] = "POST", ["pathContains"] = "/events", ["latencyMs"] = 3000 });

        var slow = chain.Cnitool("add", containerId: "slow-1", capArgs: Caps(AutoEip), podName: "web-0", netnsPath: other.Path);

        Assert.True(slow.ExitCode == 0, slow.Stderr + chain.Log());
        Assert.True(slow.Elapsed < baseline.Elapsed + TimeSpan.FromMilliseconds(800),
            $"ADD took {slow.Elapsed.TotalMilliseconds:0} ms with events answered in 3 s, {baseline.Elapsed.TotalMilliseconds:0} ms without");
        _world.ClearFaults();
    }
}

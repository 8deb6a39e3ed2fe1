using EipCni.Kube;
using EipCni.State;
using EipCni.Tests.Eip.Engine;

namespace EipCni.Tests.Node;

/// <summary>The agent's node GC: what containerd 1.6/1.7 never asks for (CNI GC), through the GC verb's own pass and locks.</summary>
public sealed class NodeGcTests
{
    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task A_record_whose_pod_left_the_node_is_given_back_and_a_live_pods_is_not_touched()
    {
        using var w = new NodeWorld();
        var live = await w.AddAsync("c-live", "web-0", "10.0.1.7");
        var gone = await w.AddAsync("c-gone", "web-1", "10.0.1.8");
        w.Kube.RemovePod(EngineWorld.Ns, "web-1"); // deleted; its sandbox's DEL never came (or failed for good)
        var before = w.Cloud.Calls.Count;

        var report = await w.NodeGc().RunOnceAsync(Budget());

        Assert.True(report.PodsListed);
        Assert.Equal((2, 1), (report.Examined, report.GivenBack));
        Assert.Empty(report.Failures);
        Assert.Null(w.Record("c-gone"));
        Assert.Equal("gone", w.Status(gone));
        Assert.Equal(AttachmentPhase.Bound, w.Record("c-live")!.Phase);
        Assert.Equal("InUse", w.Status(live));
        Assert.DoesNotContain(w.Cloud.Calls.Skip(before), c => c.AllocationId == live && c.Action != "DescribeEipAddresses");
        Assert.Equal(1, w.Metrics.NodeGcRecords.Value("given_back"));
        Assert.Equal(1, w.Metrics.NodeGcPasses.Value("reachable"));
    }

    [Fact]
    public async Task With_the_api_server_down_only_what_the_journal_proves_pending_is_done()
    {
        using var w = new NodeWorld();
        var live = await w.AddAsync("c-live", "web-0", "10.0.1.7");
        var podGone = await w.AddAsync("c-gone", "web-1", "10.0.1.8");
        w.Kube.RemovePod(EngineWorld.Ns, "web-1");
        // A pending release: DEL unbound it, the release failed and was deferred.
        var pending = await w.AddAsync("c-pending", "web-2", "10.0.1.9");
        w.Cloud.FailAlways("ReleaseEipAddress", "ServiceUnavailable", 503);
        await w.Engine.DelAsync("c-pending", "10.0.1.9", "web-2");
        w.Cloud.ClearFaults();
        Assert.True(w.Record("c-pending")!.Unbound);
        w.Kube.FailLists = Fakes.FakeKubePods.Unreachable();
        var before = w.Cloud.Calls.Count;

        var report = await w.NodeGc().RunOnceAsync(Budget());

        Assert.False(report.PodsListed);
        Assert.Contains("Connection refused", report.ApiError);
        Assert.Equal(1, report.GivenBack);
        Assert.Equal("gone", w.Status(pending));
        // "Unreachable" is never "gone": neither the live pod's EIP nor the one whose pod is really gone is touched.
        Assert.Equal(("InUse", "InUse"), (w.Status(live), w.Status(podGone)));
        Assert.Equal(AttachmentPhase.Bound, w.Record("c-gone")!.Phase);
        Assert.DoesNotContain(w.Cloud.Calls.Skip(before), c => c.AllocationId is { } id && (id == live || id == podGone) && c.Action != "DescribeEipAddresses");
        Assert.Equal(1, w.Metrics.NodeGcPasses.Value("unreachable"));

        // Back: the next pass sees the pod gone.
        w.Kube.FailLists = null;
        await w.NodeGc().RunOnceAsync(Budget());
        Assert.Equal("gone", w.Status(podGone));
        Assert.Equal("InUse", w.Status(live));
    }

    [Fact]
    public async Task A_kept_eip_is_released_once_its_time_is_over_even_with_the_api_server_down()
    {
        using var w = new NodeWorld();
        var kept = await w.AddAsync("c-ttl", "db-0", "10.0.1.7", EngineWorld.Keeping("10m"), ownerKind: "StatefulSet");
        await w.Engine.DelAsync("c-ttl", "10.0.1.7", "db-0");
        w.Kube.RemovePod(EngineWorld.Ns, "db-0");
        w.Kube.FailLists = Fakes.FakeKubePods.Unreachable();

        await w.NodeGc().RunOnceAsync(Budget());
        Assert.Equal(AttachmentPhase.Retained, w.Record("c-ttl")!.Phase);
        Assert.Equal("Available", w.Status(kept));

        w.Engine.Time.Advance(TimeSpan.FromMinutes(11));
        var report = await w.NodeGc().RunOnceAsync(Budget());

        Assert.Equal(1, report.GivenBack);
        Assert.Null(w.Record("c-ttl"));
        Assert.Equal("gone", w.Status(kept));
        Assert.Equal(0, w.Kube.ListCalls); // nothing to judge by pods: kept and pending records need no API server
    }

    [Fact]
    public async Task A_record_written_while_the_pods_are_listed_is_not_judged_by_that_list()
    {
        using var w = new NodeWorld();
        await w.AddAsync("c-old", "web-0", "10.0.1.7");
        string? fresh = null;
        // A pod bound to the node after the list was served; its sandbox's ADD writes a record meanwhile.
        w.Kube.OnList = () =>
        {
            w.Kube.OnList = null;
            fresh = w.AddAsync("c-new", "web-2", "10.0.1.9").GetAwaiter().GetResult();
            w.Kube.RemovePod(EngineWorld.Ns, "web-2");
        };

        await w.NodeGc().RunOnceAsync(Budget());

        Assert.Equal(AttachmentPhase.Bound, w.Record("c-new")!.Phase);
        Assert.Equal("InUse", w.Status(fresh!));
    }

    [Fact]
    public async Task A_static_pod_is_known_by_its_mirror()
    {
        using var w = new NodeWorld();
        var id = await w.AddAsync("c-static", "proxy-node-1", "10.0.1.7");
        // The API server shows the mirror pod: another UID, the kubelet's one in an annotation.
        w.Kube.AddPod(EngineWorld.Ns, "proxy-node-1", new Dictionary<string, string> { [EipCni.Node.LivePods.MirrorAnnotation] = "uid-proxy-node-1" },
            uid: "mirror-uid", node: EngineWorld.Node, ips: ["10.0.1.7"]);

        await w.NodeGc().RunOnceAsync(Budget());

        Assert.Equal(AttachmentPhase.Bound, w.Record("c-static")!.Phase);
        Assert.Equal("InUse", w.Status(id));
    }

    [Fact]
    public async Task A_record_a_del_holds_is_waited_for_and_judged_again_under_the_lock()
    {
        using var w = new NodeWorld();
        var id = await w.AddAsync("c-del", "web-1", "10.0.1.8");
        w.Kube.RemovePod(EngineWorld.Ns, "web-1");
        var key = new AttachmentKey(EngineWorld.Network, "c-del", "eth0");
        var journal = w.Engine.Journal;
        var before = w.Cloud.Calls.Count;

        Task<EipCni.Node.NodeGcReport> gc;
        using (await journal.LockAttachmentAsync(key, Budget())) // the runtime's DEL of that sandbox, in progress
        {
            gc = w.NodeGc().RunOnceAsync(Budget());
            await Task.Delay(300);
            Assert.False(gc.IsCompleted);
            Assert.DoesNotContain(w.Cloud.Calls.Skip(before), c => c.AllocationId == id);
            // The DEL gives the EIP back and removes the record before it lets go.
            await w.Cloud.UnassociateEipAddressAsync(new EipCni.Cloud.UnassociateEipRequest(id) { InstanceId = EngineWorld.PodEni, PrivateIpAddress = "10.0.1.8" }, Budget());
            w.Engine.Time.Advance(TimeSpan.FromSeconds(1));
            await w.Cloud.ReleaseEipAddressAsync(id, Budget());
            journal.Delete(key);
        }
        var report = await gc;

        Assert.Equal(0, report.GivenBack);
        Assert.Empty(report.Failures);
        Assert.Equal(["UnassociateEipAddress", "ReleaseEipAddress"], w.Cloud.Calls.Skip(before).Where(c => c.AllocationId == id && c.Action != "DescribeEipAddresses").Select(c => c.Action));
    }

    [Fact]
    public async Task A_record_that_names_no_pod_is_never_judged_stale()
    {
        using var w = new NodeWorld();
        var id = await w.AddAsync("c-anon", "web-0", "10.0.1.7");
        var rec = w.Record("c-anon")!;
        w.Engine.WriteRecord(rec with { PodUid = null, PodNamespace = null, PodName = null });
        w.Kube.RemovePod(EngineWorld.Ns, "web-0");

        await w.NodeGc().RunOnceAsync(Budget());

        Assert.Equal("InUse", w.Status(id));
        Assert.NotNull(w.Record("c-anon"));
    }
}

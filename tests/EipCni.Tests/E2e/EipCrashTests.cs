using System.Text.Json.Nodes;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// The plugin killed with SIGKILL in the middle of ADD or DEL (OOM killer, node reboot, runtime timeout): the journal
/// written before every mutation lets the retried verb converge on exactly one EIP, and a repeated DEL give it back.
/// </summary>
public class EipCrashTests : IClassFixture<EipWorld>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly EipWorld _world;

    public EipCrashTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    [Fact]
    public async Task Killed_between_allocate_and_associate_then_the_retried_add_binds_the_same_eip()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        var caps = Caps(AutoEip);
        // The first association hangs, and lands when the stall ends: the retried ADD replays its token, is told it is
        // still in flight, and must see it land and reach InUse inside its own 30 s budget (a 25 s stall left ~3 s of
        // margin and failed on a loaded CI machine).
        _world.CloudFault(Fault("AssociateEipAddress", count: 1, stallMs: 12000));

        var add = chain.CnitoolInBackground("add", "crash-add-1", caps);
        var pid = WaitForPluginProcess("crash-add-1", "ADD", Patience);
        WaitUntil(() => chain.JournalRecord("crash-add-1").Str("phase") == "Binding", Patience, "the journal to say Binding");
        await Task.Delay(500); // AssociateEipAddress is on the wire now, stalled by the cloud
        Kill(pid);

        var failed = await add;
        Assert.NotEqual(0, failed.ExitCode); // libcni reports the killed plugin
        var allocated = Assert.Single(_world.ApiEips());
        Assert.Equal("Available", allocated.Str("status"));
        Assert.Null(_world.Pod("web-0")["metadata"]!["annotations"]![AllocatedNew]);

        // The runtime retries ADD for the same sandbox (the pod's interface is still there from the first try).
        var podIp = chain.PodIp();
        var retry = chain.Plugin("ADD", "crash-add-1", podIp, annotations: AutoEip);

        Assert.True(retry.ExitCode == 0, retry.Stdout + chain.Log());
        AssertBoundOnce(chain, "crash-add-1", podIp, allocated.Str("allocationId"));
        Assert.Single(_world.CloudRequests(), r => r.Str("action") == "AllocateEipAddress" && r.Str("code") == "");

        AssertDelReleases(chain, "crash-add-1", caps);
    }

    [Theory]
    [InlineData("retried ADD")]
    [InlineData("teardown DEL")]
    public async Task Killed_after_the_cloud_allocated_but_before_the_plugin_learned_the_id_then_nothing_is_doubled_or_leaked(string next)
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        var caps = Caps(AutoEip);
        // The first answer is lost after the EIP was made; the retry is throttled (one allocation per minute), so the
        // plugin is still waiting to learn the allocation ID when it dies.
        _world.CloudFault(Fault("AllocateEipAddress", count: 1, drop: true, afterApply: true));
        _world.CloudConfig(new JsonObject { ["limits"] = new JsonObject { ["AllocateEipAddress"] = 1 } });
        try
        {
            var add = chain.CnitoolInBackground("add", "crash-alloc-1", caps);
            var pid = WaitForPluginProcess("crash-alloc-1", "ADD", Patience);
            WaitUntil(() => _world.CloudRequests().Any(r => r.Str("action") == "AllocateEipAddress" && r.Str("code") == "Throttling.User"),
                Patience, "the retried allocation to be throttled");
            Kill(pid);
            Assert.NotEqual(0, (await add).ExitCode);
        }
        finally
        {
            _world.CloudConfig(new JsonObject { ["limits"] = new JsonObject { ["AllocateEipAddress"] = 120 } }); // the real limit
        }
        var record = chain.JournalRecord("crash-alloc-1");
        Assert.Equal("Allocating", record.Str("phase"));
        Assert.Equal("", record.Str("allocationId")); // the plugin never learned which EIP it made
        var made = Assert.Single(_world.ApiEips());

        if (next == "retried ADD")
        {
            var podIp = chain.PodIp();
            var retry = chain.Plugin("ADD", "crash-alloc-1", podIp, annotations: AutoEip);
            Assert.True(retry.ExitCode == 0, retry.Stdout + chain.Log());
            AssertBoundOnce(chain, "crash-alloc-1", podIp, made.Str("allocationId"));
        }
        AssertDelReleases(chain, "crash-alloc-1", caps);
    }

    [Fact]
    public async Task Killed_between_associate_and_write_back_then_the_retried_add_writes_the_same_eip_back()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        var caps = Caps(AutoEip);
        _world.KubeFault(new JsonObject { ["method"] = "PATCH", ["pathContains"] = "/pods/web-0", ["latencyMs"] = 25000, ["count"] = 1 });

        var add = chain.CnitoolInBackground("add", "crash-wb-1", caps);
        var pid = WaitForPluginProcess("crash-wb-1", "ADD", Patience);
        WaitUntil(() => _world.ApiEips().Any(e => e.Str("status") == "InUse"), Patience, "the EIP to be InUse");
        await Task.Delay(1000); // the plugin saw InUse and is waiting on the slow PATCH of the pod
        Assert.Equal("Binding", chain.JournalRecord("crash-wb-1").Str("phase"));
        Kill(pid);

        Assert.NotEqual(0, (await add).ExitCode);
        var bound = Assert.Single(_world.ApiEips());
        Assert.Null(_world.Pod("web-0")["metadata"]!["annotations"]![AllocatedNew]);

        var podIp = chain.PodIp();
        var retry = chain.Plugin("ADD", "crash-wb-1", podIp, annotations: AutoEip);

        Assert.True(retry.ExitCode == 0, retry.Stdout + chain.Log());
        AssertBoundOnce(chain, "crash-wb-1", podIp, bound.Str("allocationId"));
        // Converged on the binding already in place: no second allocation, no second association.
        Assert.Single(_world.CloudRequests(), r => r.Str("action") == "AllocateEipAddress");
        Assert.Single(_world.CloudRequests(), r => r.Str("action") == "AssociateEipAddress");

        AssertDelReleases(chain, "crash-wb-1", caps);
    }

    [Fact]
    public async Task Killed_before_add_finished_then_the_runtime_teardown_del_gives_everything_back()
    {
        // containerd's usual path after a failed sandbox: DEL the same container, then start a new sandbox.
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        var caps = Caps(AutoEip);
        _world.CloudFault(Fault("AssociateEipAddress", count: 1, stallMs: 12000)); // on the wire when the plugin dies, lands later

        var add = chain.CnitoolInBackground("add", "crash-td-1", caps);
        var pid = WaitForPluginProcess("crash-td-1", "ADD", Patience);
        WaitUntil(() => chain.JournalRecord("crash-td-1").Str("phase") == "Binding", Patience, "the journal to say Binding");
        await Task.Delay(500);
        Kill(pid);
        Assert.NotEqual(0, (await add).ExitCode);
        Assert.Single(_world.ApiEips());

        AssertDelReleases(chain, "crash-td-1", caps);
    }

    [Theory]
    [InlineData("UnassociateEipAddress")]
    [InlineData("ReleaseEipAddress")]
    public async Task Killed_during_del_then_del_again_releases_and_leaves_nothing(string stalledStep)
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        var caps = Caps(AutoEip);
        var added = chain.Cnitool("add", containerId: "crash-del-1", capArgs: caps);
        Assert.True(added.ExitCode == 0, added.Stderr + chain.Log());
        var eip = Assert.Single(_world.ApiEips());
        _world.CloudFault(Fault(stalledStep, count: 1, stallMs: 25000));

        var del = chain.CnitoolInBackground("del", "crash-del-1", caps);
        var pid = WaitForPluginProcess("crash-del-1", "DEL", Patience);
        if (stalledStep == "UnassociateEipAddress")
            WaitUntil(() => chain.JournalRecord("crash-del-1").Str("phase") == "Releasing", Patience, "the journal to say Releasing");
        else
            WaitUntil(() => _world.Eip(eip.Str("allocationId")).Str("status") == "Available", Patience, "the EIP to be unbound");
        await Task.Delay(1000); // the stalled call is on the wire
        Kill(pid);

        Assert.NotEqual(0, (await del).ExitCode);
        var record = chain.JournalRecord("crash-del-1");
        Assert.NotNull(record); // the work is remembered, not lost
        Assert.Equal("Releasing", record.Str("phase"));
        Assert.Equal(stalledStep == "UnassociateEipAddress" ? "InUse" : "Available", _world.Eip(eip.Str("allocationId")).Str("status"));

        AssertDelReleases(chain, "crash-del-1", caps);
    }

    private void AssertBoundOnce(CniChain chain, string containerId, string podIp, string allocationId)
    {
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal(allocationId, eip.Str("allocationId"));
        Assert.Equal("InUse", eip.Str("status"));
        Assert.Equal(podIp, eip.Str("privateIpAddress"));
        Assert.Equal(_world.PrimaryEniId, eip.Str("instanceId"));
        var annotations = _world.Pod("web-0")["metadata"]!["annotations"]!;
        Assert.Equal(eip.Str("ipAddress"), annotations.Str(AllocatedNew));
        Assert.Equal(eip.Str("ipAddress"), annotations.Str(AllocatedOld));
        Assert.Equal("Bound", chain.JournalRecord(containerId).Str("phase"));
        Assert.Equal(0, chain.Plugin("CHECK", containerId, podIp, annotations: AutoEip).ExitCode);
    }

    /// <summary>DEL through libcni succeeds, the EIP is on its way out, nothing of ours is bound, the journal is empty.</summary>
    private void AssertDelReleases(CniChain chain, string containerId, string caps)
    {
        // As a runtime does: DEL is retried while it is held (11) because a call of the killed plugin may still land.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ProcessResult del;
        while ((del = chain.Cnitool("del", containerId: containerId, capArgs: caps)).ExitCode != 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.Contains("DEL will succeed once the cloud confirms the unbind", del.Stderr);
            Thread.Sleep(500);
        }
        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        _world.AssertNothingLeftBehind();
        Assert.Empty(chain.JournalRecords());
    }
}

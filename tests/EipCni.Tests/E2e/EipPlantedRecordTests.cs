using System.Text.Json.Nodes;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// The journal is a file: a record someone planted (or one left by another cluster) must never make the plugin
/// unbind or release an EIP it does not own. Ownership is proven by the cloud's tags, not by the record.
/// </summary>
public class EipPlantedRecordTests : IClassFixture<EipWorld>
{
    private readonly EipWorld _world;

    public EipPlantedRecordTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    private static void Plant(CniChain chain, string containerId, string allocationId, string origin, string eni, string ip, bool unbound, string clusterId = "c-e2e")
    {
        var dir = Path.Combine(chain.StateDir, "networks", chain.NetName);
        Directory.CreateDirectory(dir);
        var record = new JsonObject
        {
            ["version"] = 1, ["network"] = chain.NetName, ["containerId"] = containerId, ["ifName"] = "eth0", ["clusterId"] = clusterId,
            ["podNamespace"] = "default", ["podName"] = "victim", ["origin"] = origin, ["phase"] = "Releasing",
            ["allocationId"] = allocationId, ["networkInterfaceId"] = eni, ["privateIp"] = ip, ["unbound"] = unbound,
            ["releaseStrategy"] = "Follow", ["createdAt"] = "2026-01-01T00:00:00+00:00", ["updatedAt"] = "2026-01-01T00:00:00+00:00",
        };
        File.WriteAllText(Path.Combine(dir, containerId + "@eth0.json"), record.ToJsonString());
    }

    [Fact]
    public void Planted_records_never_make_a_del_release_or_unbind_what_the_plugin_does_not_own()
    {
        using var chain = _world.Chain(edit: p => p["delTimeoutSeconds"] = 5);
        using var victimNs = new Netns();
        using var otherNs = new Netns();
        // A live pod's EIP (ours, bound) and a user's EIP bound elsewhere on the node.
        _world.CreatePod("web-1", AutoEip);
        var victimAdd = chain.Cnitool("add", containerId: "victim-1", capArgs: Caps(AutoEip), podName: "web-1", netnsPath: victimNs.Path);
        Assert.True(victimAdd.ExitCode == 0, victimAdd.Stderr);
        var victimIp = IpOfResult(victimAdd.Stdout);
        var victimId = Assert.Single(_world.ApiEips())!.Str("allocationId");
        var userId = _world.CreateUserEip(bindEni: _world.PrimaryEniId, bindIp: "10.250.0.39").Str("allocationId");

        // Records that claim them: "release pending" (unbound), and "unbind pending" for the user's EIP.
        Plant(chain, "planted-auto", victimId, "Automatic", _world.PrimaryEniId, victimIp, unbound: true);
        Plant(chain, "planted-seed", _world.SeedEipId, "Automatic", _world.PrimaryEniId, "10.250.0.38", unbound: true);
        Plant(chain, "planted-user", userId, "UserSpecified", _world.PrimaryEniId, "10.250.0.39", unbound: false);
        Plant(chain, "planted-other-cluster", victimId, "Automatic", _world.PrimaryEniId, victimIp, unbound: false, clusterId: "c-other");

        // Another pod's life: its DEL sweeps leftovers; then GC with no list finishes every pending record.
        _world.CreatePod("web-2", AutoEip);
        Assert.Equal(0, chain.Cnitool("add", containerId: "other-1", capArgs: Caps(AutoEip), podName: "web-2", netnsPath: otherNs.Path).ExitCode);
        var del = chain.Cnitool("del", containerId: "other-1", capArgs: Caps(AutoEip), podName: "web-2", netnsPath: otherNs.Path);
        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        var gc = chain.Plugin("GC", "", victimIp, cniVersion: "1.1.0");
        Assert.True(gc.ExitCode == 0, gc.Stdout + chain.Log());

        var victim = _world.Eip(victimId);
        Assert.Equal("InUse", victim.Str("status"));
        Assert.Equal(victimIp, victim.Str("privateIpAddress"));
        // A user-specified EIP carries no tags of ours; a record naming one may at most unbind it, never release it.
        Assert.NotNull(_world.Eips().SingleOrDefault(e => e.Str("allocationId") == userId));
        Assert.Equal("Available", _world.Eip(_world.SeedEipId).Str("status"));
        Assert.DoesNotContain(_world.CloudRequests(), r => r.Str("action") is "ReleaseEipAddress" or "UnassociateEipAddress"
            && r!["params"].Str("AllocationId") is var a && (a == victimId || a == _world.SeedEipId));
        Assert.DoesNotContain(_world.CloudRequests(), r => r.Str("action") is "ReleaseEipAddress" or "TagResources"
            && r!["params"].Str("AllocationId") == userId);
        Assert.Contains(chain.LogLines(), l => l.Contains("does not own"));
        Assert.Equal("Bound", chain.JournalRecord("victim-1").Str("phase"));
    }
}

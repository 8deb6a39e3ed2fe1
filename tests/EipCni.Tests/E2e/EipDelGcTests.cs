using EipCni.Cni;
using System.Text.Json.Nodes;
using EipCni.Cloud;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// DEL without a netns, GC with and
/// without a valid-attachments list, error texts a runtime would misread, and CHECK against a binding changed behind
/// the plugin's back.
/// </summary>
public class EipDelGcTests : IClassFixture<EipWorld>, IDisposable
{
    private readonly EipWorld _world;
    private readonly TempDir _userState = new("eipcni-user");

    public EipDelGcTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    public void Dispose() => _userState.Dispose();

    private CniChain Chain() => _world.Chain(edit: p => p["delTimeoutSeconds"] = 3);

    private (string PodIp, JsonNode Eip) Add(CniChain chain, string containerId, string podName = "web-0", string? netnsPath = null)
    {
        _world.CreatePod(podName, AutoEip);
        var add = chain.Cnitool("add", containerId: containerId, capArgs: Caps(AutoEip), podName: podName, netnsPath: netnsPath);
        Assert.True(add.ExitCode == 0, add.Stderr + chain.Log());
        var ip = IpOfResult(add.Stdout);
        var eip = Assert.Single(_world.ApiEips(), e => e["tags"]!["eip-cni.alibabacloud.com/container-id"]!.GetValue<string>() == containerId);
        Assert.Equal("InUse", eip.Str("status"));
        return (ip, eip);
    }

    [Fact]
    public void Del_with_an_empty_netns_still_releases()
    {
        using var chain = Chain();
        var (_, eip) = Add(chain, "del-nons-1");

        var del = chain.Cnitool("del", containerId: "del-nons-1", capArgs: Caps(AutoEip), netnsPath: "");

        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        Assert.Contains(chain.LogLines(), l => l.Contains("\"command\":\"DEL\"") && l.Contains(eip.Str("allocationId")));
        _world.AssertNothingLeftBehind();
        Assert.Empty(chain.JournalRecords());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gc_with_a_valid_list_releases_the_omitted_attachment_and_keeps_the_listed_one(bool runtimeLostItsCache)
    {
        using var chain = Chain();
        using var other = new Netns();
        var (keepIp, keep) = Add(chain, "gc-keep", "web-0");
        var (_, gone) = Add(chain, "gc-gone", "web-1", other.Path);
        if (runtimeLostItsCache)
        {
            // Without libcni's cached attachment, no DEL precedes GC: the plugin's own GC must find the stale record.
            foreach (var f in chain.CachedResults().Where(f => f.Contains("gc-gone"))) File.Delete(f);
        }

        var gc = chain.Cnitool("gc", validAttachments: """[{"containerID":"gc-keep","ifname":"eth0"}]""");

        Assert.True(gc.ExitCode == 0, gc.Stderr + chain.Log());
        var goneNow = _world.ApiEips().SingleOrDefault(e => e.Str("allocationId") == gone.Str("allocationId"));
        Assert.True(goneNow is null || goneNow.Str("status") == "Releasing", $"the omitted attachment's EIP is {goneNow.Str("status")}");
        var kept = _world.Eip(keep.Str("allocationId"));
        Assert.Equal("InUse", kept.Str("status"));
        Assert.Equal(keepIp, kept.Str("privateIpAddress"));
        Assert.Equal("Bound", chain.JournalRecord("gc-keep").Str("phase"));
        Assert.Null(chain.JournalRecord("gc-gone"));
        // Who gave it back: libcni's DEL of the cached attachment, or (cache lost) the plugin's own GC.
        var delOfGone = chain.LogLines().Any(l => l.Contains("\"command\":\"DEL\"") && l.Contains("\"containerId\":\"gc-gone\""));
        Assert.Equal(!runtimeLostItsCache, delOfGone);
        // eip-cni's CHECK directly: the reference bridge plugin's own CHECK fails at random once two veths share the
        // bridge ("Bridge interface ... Mac doesn't match"), which is not what this test is about.
        var check = chain.Plugin("CHECK", "gc-keep", keepIp, annotations: AutoEip);
        Assert.True(check.ExitCode == 0, check.Stdout + chain.Log());
    }

    [Fact]
    public void Gc_without_a_list_keeps_live_attachments()
    {
        using var chain = Chain();
        var (ip, eip) = Add(chain, "gc-live");
        var before = _world.MutatingCloudRequests().Length;

        var gc = chain.Plugin("GC", "", ip, cniVersion: "1.1.0");

        Assert.True(gc.ExitCode == 0, gc.Stdout + chain.Log());
        Assert.Equal("InUse", _world.Eip(eip.Str("allocationId")).Str("status"));
        Assert.Equal("Bound", chain.JournalRecord("gc-live").Str("phase"));
        Assert.Equal(before, _world.MutatingCloudRequests().Length);
    }

    [Fact]
    public void Error_texts_of_a_failing_del_or_gc_never_say_not_found()
    {
        // containerd takes "not found" in a DEL error for success and forgets the sandbox: a real failure must not say it.
        using var chain = Chain();
        var (ip, eip) = Add(chain, "nf-1");
        _world.CloudFault(Fault("*", "InvalidAccessKeyId.NotFound", 404, message: "Specified access key is not found."));

        // The unbind cannot be confirmed: DEL is held (11) so the IP is not handed out, and says why without "not found".
        var del = chain.Plugin("DEL", "nf-1", ip, annotations: AutoEip);
        NativePlugin.AssertError(del, 11, eip.Str("allocationId"));
        Assert.Contains("InvalidAccessKeyId.NotFound", del.Stdout);
        Assert.DoesNotContain("not found", del.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Releasing", chain.JournalRecord("nf-1").Str("phase"));

        var gc = chain.Plugin("GC", "", ip, cniVersion: "1.1.0");
        NativePlugin.AssertError(gc, 11, eip.Str("allocationId"));
        Assert.DoesNotContain("not found", gc.Stdout, StringComparison.OrdinalIgnoreCase);
        var gcTool = chain.Cnitool("gc");
        Assert.NotEqual(0, gcTool.ExitCode);
        Assert.DoesNotContain("not found", gcTool.Stderr + gcTool.Stdout, StringComparison.OrdinalIgnoreCase);

        // A DEL that fails outright (a broken eni_conf) does not say it either.
        var eniConf = File.ReadAllText(chain.EniConfPath);
        var bad = JsonNode.Parse(eniConf)!.AsObject();
        bad["enable_eip_pool"] = "maybe";
        chain.WriteEniConf(bad.ToJsonString());
        var broken = chain.Plugin("DEL", "nf-1", ip, annotations: AutoEip);
        NativePlugin.AssertError(broken, 7, "enable_eip_pool");
        Assert.DoesNotContain("not found", broken.Stdout, StringComparison.OrdinalIgnoreCase);

        chain.WriteEniConf(eniConf);
        _world.ClearFaults();
        Assert.Equal(0, chain.Plugin("GC", "", ip, cniVersion: "1.1.0").ExitCode);
        _world.AssertNothingLeftBehind();
        Assert.Empty(chain.JournalRecords());
    }

    [Fact]
    public async Task Check_fails_with_108_when_the_eip_is_unbound_behind_the_plugins_back_and_passes_when_bound()
    {
        using var chain = Chain();
        var (ip, eip) = Add(chain, "chk-1");
        var id = eip.Str("allocationId");
        Assert.Equal(0, chain.Cnitool("check", containerId: "chk-1", capArgs: Caps(AutoEip)).ExitCode);
        Assert.Equal(0, chain.Plugin("CHECK", "chk-1", ip, annotations: AutoEip).ExitCode);

        // The account owner unbinds it in the console.
        using var user = _world.UserCloud(_userState.Path);
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await user.Eip.UnassociateEipAddressAsync(new UnassociateEipRequest(id) { InstanceId = _world.PrimaryEniId, PrivateIpAddress = ip }, budget.Token);
        WaitUntil(() => _world.Eip(id).Str("status") == "Available", TimeSpan.FromSeconds(30), "the EIP to be unbound");

        Assert.NotEqual(0, chain.Cnitool("check", containerId: "chk-1", capArgs: Caps(AutoEip)).ExitCode);
        NativePlugin.AssertError(chain.Plugin("CHECK", "chk-1", ip, annotations: AutoEip), 108, id);

        // Bound back where the journal says: CHECK passes again.
        await user.Eip.AssociateEipAddressAsync(new AssociateEipRequest(id, _world.PrimaryEniId, ip), budget.Token);
        WaitUntil(() => _world.Eip(id).Str("status") == "InUse", TimeSpan.FromSeconds(30), "the EIP to be bound again");
        Assert.Equal(0, chain.Cnitool("check", containerId: "chk-1", capArgs: Caps(AutoEip)).ExitCode);

        Assert.Equal(0, chain.Cnitool("del", containerId: "chk-1", capArgs: Caps(AutoEip)).ExitCode);
        _world.AssertNothingLeftBehind();
    }
}

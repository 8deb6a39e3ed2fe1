using System.Text;
using System.Text.Json;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Tests.Support;

namespace EipCni.Tests.Eip.Engine;

/// <summary>
/// Regression tests for engine defects found while the unit tests were written: each failed before its fix.
/// </summary>
public class EngineRegressionTests
{
    /// <summary>
    /// BindAutomaticEipAsync says: if the state dir was lost, the EIP a replayed ClientToken names may be gone, and a
    /// failing step then moves to the next generation. But the association token of that lost generation is replayed
    /// too (same attachment, same EIP, same ENI and IP, sequence 1): the cloud answers it with its stored success, the
    /// engine then finds the EIP gone while waiting for InUse and fails ADD with 105 ("disappeared while binding"), a
    /// CniException the generation fallback (it catches CloudException only) never sees. The rollback does move the
    /// record to the next generation, so only the next ADD of that container ID succeeds.
    /// </summary>
    [Fact]
    public async Task A_readd_after_the_state_dir_was_lost_allocates_the_next_generation_instead_of_failing_105()
    {
        using var w = new EngineWorld();
        await w.AddAsync("c-1");
        var old = w.Record("c-1")!.AllocationId!;
        await w.DelAsync("c-1");
        w.Time.Advance(TimeSpan.FromSeconds(10));
        Directory.Delete(w.StateDir, recursive: true);

        await w.AddAsync("c-1"); // throws CniException 105 today

        var eip = Assert.Single(w.Cloud.Eips);
        Assert.NotEqual(old, eip.AllocationId);
        Assert.Equal("InUse", eip.Status);
        Assert.Equal(1, w.Record("c-1")!.Generation);
    }

    /// <summary>
    /// ResolveAllocationAsync treats every final refusal of the replayed AllocateEipAddress as proof that the token
    /// created nothing. A permission or credential refusal (Forbidden.RAM, InvalidAccessKeyId.*, SignatureDoesNotMatch)
    /// is decided before the cloud ever looks at the token, so it proves nothing: here the first allocation is still
    /// being processed, the tag search finds nothing yet, the replay is refused with Forbidden.RAM, the record is
    /// retired ("the cloud shows nothing was allocated") — and the EIP appears a minute later with nobody to release it.
    /// </summary>
    [Fact]
    public async Task A_permission_refusal_of_an_allocation_replay_is_no_proof_that_nothing_was_created()
    {
        using var w = new EngineWorld();
        w.Cloud.CommitLate("AllocateEipAddress", TimeSpan.FromSeconds(60));
        await w.AddFailsAsync("c-1");
        w.Cloud.Fail("AllocateEipAddress", "Forbidden.RAM", 403);

        var del = await w.DelAsync("c-1");
        w.Time.Advance(TimeSpan.FromSeconds(61));
        await w.GcAsync(null);
        w.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.NotEqual("the cloud shows nothing was allocated", del);
        Assert.Empty(w.Cloud.Eips); // today: the late EIP is leaked, no record names it
    }

    /// <summary>
    /// The same gap on the association side breaks the DEL contract. ReplayAssociationAsync reads a final refusal of the
    /// replay as "never landed"; with a permission refusal that is not known. Here the pod keeps its EIP (Never), so
    /// nothing releases it: DEL succeeds while the association is still being processed, and it lands on the pod's IP
    /// after the runtime was told the IP is free.
    /// </summary>
    [Fact]
    public async Task A_permission_refusal_of_an_association_replay_holds_del_while_the_association_can_still_land()
    {
        using var w = new EngineWorld();
        w.Kube.AddPod(EngineWorld.Ns, EngineWorld.Pod, ownerKind: "StatefulSet");
        var never = EngineWorld.Keeping("Never");
        w.Cloud.CommitLate("AssociateEipAddress", TimeSpan.FromSeconds(60));
        await w.AddFailsAsync("c-1", never);
        var id = w.Record("c-1")!.AllocationId!;
        w.Cloud.Fail("AssociateEipAddress", "Forbidden.RAM", 403);

        string? delSucceeded = null;
        try
        {
            delSucceeded = await w.DelAsync("c-1");
        }
        catch (CniException e) when (e.Code == CniCode.TryAgainLater)
        {
            // What the DEL contract asks for: 11 while an association of ours may still land.
        }
        w.Time.Advance(TimeSpan.FromSeconds(61));
        _ = w.Cloud.Eips;
        w.Time.Advance(TimeSpan.FromSeconds(1));

        var eip = w.Cloud.Get(id)!;
        Assert.False(delSucceeded is not null && eip.PrivateIp == EngineWorld.PodIp,
            $"DEL succeeded ({delSucceeded}) and then {id} became {eip.Status} on the pod IP {eip.PrivateIp}");
    }

    /// <summary>
    /// README and docs/error-codes.md: 102 is "no usable credentials, or a RAM permission is missing". The mapping
    /// looks for codes starting with NoCredentials, which nothing emits; the credential sources fail with their own
    /// codes (no RAM role attached, the role's credential not ready, the RRSA token file unreadable), which map to 100.
    /// </summary>
    [Theory]
    [InlineData("metadata ram/security-credentials", "NoRamRole", 200)]
    [InlineData("metadata ram/security-credentials", "RamRoleCredentialNotReady", 200)]
    [InlineData("AssumeRoleWithOIDC", "OidcTokenUnreadable", 0)]
    public void No_usable_credential_is_102(string action, string code, int status)
    {
        var e = new CloudException(action, code, "no credential", null, status);
        Assert.Equal(CniCode.CloudPermissionDenied, CniErrors.FromCloud(e, "binding the pod's EIP").Code);
    }

    /// <summary>
    /// README: code 5 is an I/O failure "(stdin, eni_conf, state dir)". A state dir the journal cannot use (here
    /// stateDir names a regular file) escapes the engine as an IOException, and Plugin reports any exception that is
    /// not a CniException as 999, "internal error (a bug)".
    /// </summary>
    [Fact]
    public void An_unusable_state_dir_is_5_not_999()
    {
        using var dir = new TempDir("eipcni-knownbug");
        File.WriteAllText(dir.File("state"), "a file where the state dir should be");
        File.WriteAllText(dir.File("eni.json"), """{"enable_eip_pool": "true"}""");
        var stdin = $$$"""
            {"cniVersion":"1.0.0","name":"net1","type":"eip-cni","clusterId":"c1",
             "stateDir":"{{{dir.File("state")}}}","eniConfPath":"{{{dir.File("eni.json")}}}","logFile":"{{{dir.File("log")}}}",
             "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"network.alibabacloud.com/pod-with-eip":"true"}},
             "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"address":"10.0.1.7/24","interface":0}]}}
            """;
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "c-1", ["CNI_NETNS"] = "/var/run/netns/x", ["CNI_IFNAME"] = "eth0",
            ["CNI_ARGS"] = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0",
        };
        using var world = new EngineWorld();
        var stdout = new MemoryStream();

        var exit = new CniSkel(n => env.GetValueOrDefault(n), new MemoryStream(Encoding.UTF8.GetBytes(stdin)), stdout, new EipCni.Plugin.EipPlugin(new InProcessEngine(_ => world.NewEngine()))).Run();

        Assert.Equal(1, exit);
        using var error = JsonDocument.Parse(stdout.ToArray());
        Assert.Equal(CniCode.IoFailure, error.RootElement.GetProperty("code").GetInt32());
    }
}

using EipCni.State;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// A journal record that no longer parses (a disk error, a truncated copy, a hand edit) is moved aside instead of
/// failing the attachment's every ADD and CHECK: the retried ADD finds its EIP again through the ClientToken and the
/// ownership tags, and DEL gives it back.
/// </summary>
public class EipJournalQuarantineTests : IClassFixture<EipWorld>
{
    private readonly EipWorld _world;

    public EipJournalQuarantineTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    [Fact]
    public void A_retried_add_after_a_corrupt_record_converges_on_the_same_eip_and_del_releases_it()
    {
        using var chain = _world.Chain(edit: p => p["delTimeoutSeconds"] = 5);
        _world.CreatePod("web-q", AutoEip);
        var add = chain.Cnitool("add", containerId: "quar-1", capArgs: Caps(AutoEip), podName: "web-q");
        Assert.True(add.ExitCode == 0, add.Stderr + chain.Log());
        var podIp = IpOfResult(add.Stdout);
        var first = Assert.Single(_world.ApiEips());
        var record = Path.Combine(chain.StateDir, "networks", chain.NetName, "quar-1@eth0.json");
        File.WriteAllText(record, File.ReadAllText(record)[..40]); // truncated

        var again = chain.Plugin("ADD", "quar-1", podIp, podName: "web-q", annotations: AutoEip);

        Assert.True(again.ExitCode == 0, again.Stdout + chain.Log());
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal(first.Str("allocationId"), eip.Str("allocationId"));
        Assert.Equal("InUse", eip.Str("status"));
        Assert.Equal(podIp, eip.Str("privateIpAddress"));
        var moved = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(record)!, "quar-1@eth0.json.corrupt-*"));
        Assert.Contains(chain.LogLines(), l => l.Contains("\"level\":\"error\"") && l.Contains("moved aside") && l.Contains(moved));
        Assert.Equal("Bound", chain.JournalRecord("quar-1").Str("phase"));

        var del = chain.Cnitool("del", containerId: "quar-1", capArgs: Caps(AutoEip), podName: "web-q");
        Assert.True(del.ExitCode == 0, del.Stderr + chain.Log());
        _world.AssertNothingLeftBehind();
        Assert.Empty(chain.JournalRecords());
    }

    [Fact]
    public void Del_of_a_corrupt_record_succeeds_and_check_names_the_quarantined_file()
    {
        using var chain = _world.Chain(edit: p => p["delTimeoutSeconds"] = 5);
        var dir = PrivateFiles.EnsureDirectory(chain.StateDir, "networks", chain.NetName);
        File.WriteAllText(Path.Combine(dir, "quar-2@eth0.json"), "{\"network\":");

        var check = chain.Plugin("CHECK", "quar-2", "10.250.0.30", annotations: AutoEip);
        NativePlugin.AssertError(check, 108, "could not be read", "quar-2@eth0.json.corrupt-");

        File.WriteAllText(Path.Combine(dir, "quar-3@eth0.json"), "not json");
        var del = chain.Plugin("DEL", "quar-3", "10.250.0.31", annotations: AutoEip);
        Assert.True(del.ExitCode == 0, del.Stdout + chain.Log());
        Assert.Single(Directory.GetFiles(dir, "quar-3@eth0.json.corrupt-*"));
    }
}

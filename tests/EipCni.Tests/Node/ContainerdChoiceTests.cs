using System.Text.Json.Nodes;
using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>
/// The golden conf dirs as containerd's CRI loads them: tests/cnitool's <c>default</c> runs go-cni's selection over the
/// real libcni (Debian's 1.1.2). After install the runtime loads the same network, with the same plugins, and eip-cni
/// last; what install refuses, the runtime cannot load either.
/// </summary>
public class ContainerdChoiceTests
{
    private static ProcessResult Load(string dir) =>
        ProcessRunner.Run(Path.Combine(Repo.Root, "out", "cnitool"), ["default"], new Dictionary<string, string> { ["NETCONFPATH"] = dir });

    private static JsonObject Network(string dir)
    {
        var r = Load(dir);
        Assert.True(r.ExitCode == 0, $"libcni could not load {dir}: {r.Stderr}");
        return JsonNode.Parse(r.Stdout)!.AsObject();
    }

    [Theory]
    [MemberData(nameof(ConfDirGoldenTests.Installing), MemberType = typeof(ConfDirGoldenTests))]
    public void Containerd_loads_the_same_network_with_eip_cni_appended(string name)
    {
        var before = Network(Path.Combine(NodeDirs.Cases, name, "in"));
        var after = Network(Path.Combine(NodeDirs.Cases, name, "expected"));

        Assert.Equal((string)before["name"]!, (string)after["name"]!);
        Assert.Equal((string)before["cniVersion"]!, (string)after["cniVersion"]!);
        var wanted = before["plugins"]!.AsArray().Where(p => !PluginEntry.IsEipCni(p)).Select(p => p!.DeepClone()).ToList();
        var plugins = after["plugins"]!.AsArray();
        Assert.Equal(wanted.Count + 1, plugins.Count);
        for (var i = 0; i < wanted.Count; i++) Assert.True(JsonNode.DeepEquals(wanted[i], plugins[i]), $"plugin {i + 1}: {plugins[i]!.ToJsonString()}");
        var entry = JsonNode.Parse("""{"type":"eip-cni","clusterId":"c1234567890abcdef","logLevel":"info","nodeName":"cn-hangzhou.10.0.1.5","capabilities":{"io.kubernetes.cri.pod-annotations":true}}""");
        Assert.True(JsonNode.DeepEquals(entry, plugins[^1]), plugins[^1]!.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(ConfDirGoldenTests.Refused), MemberType = typeof(ConfDirGoldenTests))]
    public void What_install_refuses_containerd_cannot_load(string name) =>
        Assert.NotEqual(0, Load(Path.Combine(NodeDirs.Cases, name, "in")).ExitCode);
}

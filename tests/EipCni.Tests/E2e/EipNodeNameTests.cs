using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>The node ownership tag and the events' source name the Kubernetes node, not the host.</summary>
public class EipNodeNameTests : IClassFixture<EipWorld>
{
    private readonly EipWorld _world;

    public EipNodeNameTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    [Theory]
    [InlineData("cn-hangzhou.10.0.1.5")]
    [InlineData(null)]
    public void The_node_tag_is_the_configured_node_name_and_the_host_name_only_without_one(string? nodeName)
    {
        using var chain = _world.Chain(edit: p => { if (nodeName is not null) p["nodeName"] = nodeName; });
        _world.CreatePod("web-0", AutoEip);

        var add = chain.Cnitool("add", containerId: "node-1", capArgs: Caps(AutoEip));

        Assert.True(add.ExitCode == 0, add.Stderr + chain.Log());
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal(nodeName ?? Environment.MachineName, eip["tags"]!["eip-cni.alibabacloud.com/node"]!.GetValue<string>());
        Assert.Equal(0, chain.Cnitool("del", containerId: "node-1", capArgs: Caps(AutoEip)).ExitCode);
    }

    [Fact]
    public void A_node_name_that_is_not_a_kubernetes_name_is_a_config_error_for_every_call()
    {
        using var chain = _world.Chain(edit: p => p["nodeName"] = "Node_1");

        var status = chain.Plugin("STATUS", "", "10.250.0.2", cniVersion: "1.1.0");
        var add = chain.Plugin("ADD", "node-bad-1", "10.250.0.2", annotations: new Dictionary<string, string>());

        NativePlugin.AssertError(status, 7, "nodeName");
        NativePlugin.AssertError(add, 7, "nodeName");
    }
}

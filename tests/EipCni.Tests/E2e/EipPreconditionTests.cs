using System.Text.Json.Nodes;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>No cloud mutation before the local preconditions of an EIP pod's ADD hold.</summary>
public class EipPreconditionTests : IClassFixture<EipWorld>
{
    private readonly EipWorld _world;

    public EipPreconditionTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("garbage")]
    public void An_unusable_kubeconfig_fails_add_with_7_before_any_cloud_mutation(string how)
    {
        using var dir = new TempDir("eipcni-kubeconfig");
        var path = dir.File("kubeconfig");
        if (how == "garbage") File.WriteAllText(path, "clusters: [nonsense");
        using var chain = _world.Chain(edit: p => p["kubeconfig"] = path);
        _world.CreatePod("web-0", AutoEip);

        var add = chain.Plugin("ADD", "pre-1", "10.250.0.2", annotations: AutoEip); // annotations from the runtime: no API call needed to start

        NativePlugin.AssertError(add, 7, path);
        Assert.Empty(_world.MutatingCloudRequests());
        Assert.Empty(_world.ApiEips());
    }
}

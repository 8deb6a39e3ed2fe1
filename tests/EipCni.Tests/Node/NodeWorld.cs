using EipCni.Eip;
using EipCni.Kube;
using EipCni.Node;
using EipCni.State;
using EipCni.Tests.Eip.Engine;

namespace EipCni.Tests.Node;

/// <summary>
/// The engine's in-memory node (<see cref="EngineWorld"/>: fake cloud, API server and clock, a journal in a temp dir)
/// with the agent's node GC over it. Records are made by real ADDs and DELs; the API server's pods are set by the test.
/// </summary>
public sealed class NodeWorld : IDisposable
{
    public EngineWorld Engine { get; } = new();
    public NodeMetrics Metrics { get; } = new();

    public NodeWorld()
    {
        Kube.RemovePod(EngineWorld.Ns, EngineWorld.Pod); // EngineWorld's own, under another UID than its ADDs record
    }

    public Fakes.FakeKubePods Kube => Engine.Kube;
    public Fakes.FakeEipCloud Cloud => Engine.Cloud;

    public EipServices Services => new(() => Cloud, () => new EniResolver(Engine.Metadata, Engine.Ecs, Engine.StateDir, Engine.Log), () => Kube,
        Engine.Time, EngineWorld.Node);

    public NodeGc NodeGc() => new(new NodeGcOptions
    {
        StateDir = Engine.StateDir,
        ClusterId = EngineWorld.Cluster,
        NodeName = EngineWorld.Node,
    }, Services, Engine.Log, Metrics);

    /// <summary>The pod as the API server shows it on this node, with the UID its sandboxes' CNI_ARGS carry.</summary>
    public PodView Pod(string name, string ip, string? ownerKind = null, string node = EngineWorld.Node) =>
        Kube.AddPod(EngineWorld.Ns, name, uid: "uid-" + name, node: node, ips: [ip], ownerKind: ownerKind, phase: "Running");

    /// <summary>ADD of a pod that asks for an EIP (the pod is in the API server while it runs).</summary>
    public async Task<string> AddAsync(string containerId, string pod, string ip, IReadOnlyDictionary<string, string>? annotations = null, string? ownerKind = null)
    {
        Pod(pod, ip, ownerKind);
        await Engine.AddAsync(containerId, annotations, ip, pod);
        return Engine.Record(containerId)!.AllocationId!;
    }

    public AttachmentRecord? Record(string containerId) => Engine.Record(containerId);

    public string Status(string allocationId)
    {
        Engine.Time.Advance(TimeSpan.FromSeconds(5)); // past the fake cloud's transitions
        return Cloud.Get(allocationId)?.Status ?? "gone";
    }

    public void Dispose() => Engine.Dispose();
}

using EipCni.Cloud;
using EipCni.Eip;
using EipCni.Kube;
using EipCni.Node;
using EipCni.Tests.Fakes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>
/// A cluster for the sweep, in memory: the fake cloud with EIPs seeded as eip-cni (or a user, or another cluster)
/// would leave them, the fake API server's pods and nodes, one manual clock, and a state dir for the orphan memory.
/// </summary>
public sealed class SweepWorld : IDisposable
{
    public const string Cluster = "c1";
    public const string Ns = "default";
    private readonly TempDir _dir = new("eipcni-sweep");
    private int _ips;

    public SweepWorld()
    {
        Cloud = new FakeEipCloud(Time) { UnassociateDelay = TimeSpan.FromMilliseconds(300), ReleaseDelay = TimeSpan.FromMilliseconds(200) };
        Kube.Nodes.Add("node-2");
    }

    public ManualTimeProvider Time { get; } = new();
    public FakeEipCloud Cloud { get; }
    public FakeKubePods Kube { get; } = new();
    public RecordingLog Log { get; } = new();
    public NodeMetrics Metrics { get; } = new();
    public string StateDir => _dir.Path;
    public string MemoryFile => _dir.File("cluster-sweep.json");

    public EipServices Services => new(() => Cloud, () => throw new InvalidOperationException("the sweep resolves no ENI of its own"), () => Kube, Time, "node-1");

    /// <summary>A sweep as a new agent process would start it (the orphan memory read from the state dir).</summary>
    public ClusterSweep Sweep(TimeSpan? grace = null, int describesPerMinute = 6000, int mutationsPerMinute = 6000, INetworkInterfaceLookup? enis = null) =>
        new(new ClusterSweepOptions
        {
            ClusterId = Cluster,
            StateDir = StateDir,
            Grace = grace ?? TimeSpan.FromMinutes(10),
            DescribesPerMinute = describesPerMinute,
            MutationsPerMinute = mutationsPerMinute,
        }, Services, Log, Metrics, enis);

    /// <summary>
    /// An EIP as eip-cni's ADD creates it for <paramref name="pod"/> (all ownership tags), optionally bound to
    /// <paramref name="boundIp"/> on an ENI, kept (<c>retained</c>) until <paramref name="releaseAfter"/> ("" = Never).
    /// </summary>
    public string Ours(string pod, string uid, string node = "node-1", string strategy = "Follow", string? boundIp = null,
        string? releaseAfter = null, string cluster = Cluster)
    {
        var id = $"eip-{pod}";
        var tags = OwnershipTags.ForNewEip(cluster, Ns, pod, uid, "ctr-" + pod, node, strategy);
        if (releaseAfter is not null)
        {
            tags.RemoveAll(t => t.Key == OwnershipTags.Retained);
            tags.Add(new(OwnershipTags.Retained, "true"));
            tags.Add(new(OwnershipTags.ReleaseAfter, releaseAfter));
        }
        Cloud.Seed(id, $"47.1.1.{++_ips}", tags, boundToEni: boundIp is null ? null : "eni-pods", boundToIp: boundIp);
        return id;
    }

    /// <summary>A pod the API server shows.</summary>
    public PodView Pod(string name, string uid, string node = "node-1", string? ip = null, IReadOnlyDictionary<string, string>? annotations = null) =>
        Kube.AddPod(Ns, name, annotations, uid: uid, node: node, ips: ip is null ? [] : [ip], phase: "Running");

    public static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    /// <summary>Cloud calls other than Describe that named this EIP (what the sweep did to it).</summary>
    public IReadOnlyList<string> Mutations(string allocationId) =>
        Cloud.Calls.Where(c => c.AllocationId == allocationId && c.Action != "DescribeEipAddresses").Select(c => c.Action).ToList();

    public string Status(string allocationId)
    {
        Time.Advance(TimeSpan.FromSeconds(5));
        return Cloud.Get(allocationId)?.Status ?? "gone";
    }

    public static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _dir.Dispose();
}

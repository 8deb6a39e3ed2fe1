using System.Text.Json;
using System.Text.Json.Nodes;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.State;
using EipCni.Tests.Fakes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Eip.Engine;

/// <summary>
/// One node for the engine, in memory: the fake cloud, API server and metadata service on one manual clock, a journal
/// in a temp dir, and the CNI call built the way <see cref="Plugin"/> builds it (config JSON through
/// <see cref="NetConf.Parse"/>, the env through <see cref="CniInvocation.FromEnvironment"/>). Each verb gets a fresh
/// <see cref="EipEngine"/>, as each plugin process does.
/// </summary>
public sealed class EngineWorld : IDisposable
{
    public const string Network = "net1";
    public const string Cluster = "c1";
    public const string Node = "node-1";
    public const string PodEni = "eni-pods";
    public const string PodEniPrimary = "10.0.1.1";
    public const string PodIp = "10.0.1.7";
    public const string Ns = "default";
    public const string Pod = "web-0";

    /// <summary>The annotations of a pod that asks for an automatic EIP.</summary>
    public static readonly IReadOnlyDictionary<string, string> Wants = new Dictionary<string, string>
    {
        ["network.alibabacloud.com/pod-with-eip"] = "true",
    };

    /// <summary>The annotations of a pod that asks for an automatic EIP kept after it is gone (Never, or a Go duration).</summary>
    public static Dictionary<string, string> Keeping(string strategy) => new()
    {
        ["network.alibabacloud.com/pod-with-eip"] = "true",
        ["network.alibabacloud.com/pod-eip-release-strategy"] = strategy,
    };

    private readonly TempDir _dir = new("eipcni-engine");

    public EngineWorld()
    {
        Cloud = new FakeEipCloud(Time);
        Metadata.AddEni("00:16:3e:00:00:01", "eni-primary", "10.0.0.1");
        Metadata.AddEni("00:16:3e:00:00:02", PodEni, PodEniPrimary, PodIp, "10.0.1.8", "10.0.1.9");
        Cloud.EniPrimaryIps["eni-primary"] = "10.0.0.1";
        Cloud.EniPrimaryIps[PodEni] = PodEniPrimary;
        Kube.AddPod(Ns, Pod);
    }

    public ManualTimeProvider Time { get; } = new();
    public FakeEipCloud Cloud { get; }
    public FakeKubePods Kube { get; } = new();
    public FakeInstanceMetadata Metadata { get; } = new();
    public FakeNetworkInterfaces Ecs { get; } = new();
    public RecordingLog Log { get; } = new();
    public string StateDir => _dir.File("state");
    public Journal Journal => new(StateDir, Network);

    public EniConf EniConf { get; set; } = new(EnableEipPool: true, AllowEipRob: false, null, null, null, null);

    /// <summary>The verbs' budget on the fake clock (ADD's addTimeoutSeconds, DEL's and GC's delTimeoutSeconds).</summary>
    public TimeSpan AddBudget { get; set; } = TimeSpan.FromSeconds(90);
    public TimeSpan DelBudget { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>delTimeoutSeconds in the config: also the real-time budget of ADD's rollback, so keep it short.</summary>
    public int DelTimeoutSeconds { get; set; } = 3;

    public EipEngine NewEngine() =>
        new(new EipServices(() => Cloud, () => new EniResolver(Metadata, Ecs, StateDir, Log), () => Kube, Time, Node));

    public Task<string> AddAsync(string containerId, IReadOnlyDictionary<string, string>? annotations = null, string ip = PodIp,
        string pod = Pod, string ifName = "eth0")
    {
        Kube.EnsurePod(Ns, pod);
        return NewEngine().AddAsync(Context(CniCommand.Add, containerId, annotations ?? Wants, ip, pod, ifName), Budget(AddBudget));
    }

    public Task<string> DelAsync(string containerId, string ip = PodIp, string pod = Pod, string ifName = "eth0") =>
        NewEngine().DelAsync(Context(CniCommand.Del, containerId, null, ip, pod, ifName), Budget(DelBudget));

    public Task CheckAsync(string containerId, IReadOnlyDictionary<string, string>? annotations = null, string ip = PodIp, string pod = Pod) =>
        NewEngine().CheckAsync(Context(CniCommand.Check, containerId, annotations ?? Wants, ip, pod, "eth0"), Budget(AddBudget));

    /// <summary>GC with the runtime's list of valid attachments (container IDs on eth0), or with no list at all (null).</summary>
    public Task<string> GcAsync(string[]? validContainerIds) =>
        NewEngine().GcAsync(Context(CniCommand.Gc, "", null, PodIp, Pod, "eth0", validContainerIds), Budget(DelBudget));

    /// <summary>ADD that must fail; returns its CNI error.</summary>
    public async Task<CniException> AddFailsAsync(string containerId, IReadOnlyDictionary<string, string>? annotations = null, string ip = PodIp, string pod = Pod) =>
        await Assert.ThrowsAsync<CniException>(() => AddAsync(containerId, annotations, ip, pod));

    public async Task<CniException> DelFailsAsync(string containerId, string ip = PodIp) =>
        await Assert.ThrowsAsync<CniException>(() => DelAsync(containerId, ip));

    /// <summary>An EIP bound to the pod's IP behind our back, tagged as if eip-cni of <paramref name="cluster"/> created it.</summary>
    public void SeedOnPodIp(string allocationId, string cluster, string containerId) =>
        Cloud.Seed(allocationId, "47.9.9." + (Cloud.Eips.Count + 1),
            OwnershipTags.ForNewEip(cluster, Ns, "pod-of-" + containerId, "uid-" + containerId, containerId, Node, "Follow"),
            boundToEni: PodEni, boundToIp: PodIp);

    /// <summary>After the cloud's transitions: no EIP is left and the attachment has no record.</summary>
    public void AssertNothingLeft(string containerId)
    {
        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(Cloud.Eips);
        Assert.Null(Record(containerId));
    }

    public AttachmentRecord? Record(string containerId, string ifName = "eth0") => Journal.Read(new AttachmentKey(Network, containerId, ifName));

    public AttachmentRecord WriteRecord(AttachmentRecord record) => Journal.Write(record);

    /// <summary>
    /// A budget that ends when the fake clock has moved by <paramref name="fake"/> (poll loops move it), with a real
    /// 30 s safety net so a test never hangs.
    /// </summary>
    private CancellationToken Budget(TimeSpan fake)
    {
        var real = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return CancellationTokenSource.CreateLinkedTokenSource(real.Token, Time.Deadline(fake)).Token;
    }

    /// <summary>The call as the runtime makes it: config JSON (with prevResult, runtimeConfig, the GC list) and CNI_* env.</summary>
    public AttachmentContext Context(CniCommand command, string containerId, IReadOnlyDictionary<string, string>? annotations,
        string ip = PodIp, string pod = Pod, string ifName = "eth0", string[]? validContainerIds = null)
    {
        var conf = new JsonObject
        {
            ["cniVersion"] = "1.1.0",
            ["name"] = Network,
            ["type"] = "eip-cni",
            ["clusterId"] = Cluster,
            ["stateDir"] = StateDir,
            ["logFile"] = _dir.File("eip-cni.log"),
            ["delTimeoutSeconds"] = DelTimeoutSeconds,
        };
        if (annotations is not null)
        {
            var ann = new JsonObject();
            foreach (var (k, v) in annotations) ann[k] = v;
            conf["runtimeConfig"] = new JsonObject { [NetConf.PodAnnotationsCapability] = ann };
        }
        if (command is CniCommand.Add or CniCommand.Check or CniCommand.Del)
            conf["prevResult"] = JsonNode.Parse($$"""
                {"cniVersion":"1.1.0","interfaces":[{"name":"{{ifName}}"}],"ips":[{"address":"{{ip}}/24","interface":0,"gateway":"10.0.1.253"}]}
                """);
        if (validContainerIds is not null)
            conf["cni.dev/valid-attachments"] = new JsonArray(validContainerIds.Select(id => (JsonNode)new JsonObject { ["containerID"] = id, ["ifname"] = "eth0" }).ToArray());
        var root = JsonDocument.Parse(conf.ToJsonString()).RootElement.Clone();

        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command.ToString().ToUpperInvariant(),
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = command == CniCommand.Del ? "" : "/var/run/netns/test",
            ["CNI_IFNAME"] = ifName,
            ["CNI_ARGS"] = $"IgnoreUnknown=1;K8S_POD_NAMESPACE={Ns};K8S_POD_NAME={pod};K8S_POD_UID=uid-{pod};K8S_POD_INFRA_CONTAINER_ID={containerId}",
            ["CNI_PATH"] = "/opt/cni/bin",
        };
        if (command == CniCommand.Gc) env.Remove("CNI_CONTAINERID");
        var invocation = CniInvocation.FromEnvironment(n => env.GetValueOrDefault(n));
        return new AttachmentContext(NetConf.Parse(root, command), EniConf, invocation, Log);
    }

    public void Dispose() => _dir.Dispose();
}

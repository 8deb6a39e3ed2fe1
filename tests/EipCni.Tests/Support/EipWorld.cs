using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace EipCni.Tests.Support;

/// <summary>
/// Both simulators (Alibaba Cloud and kube-apiserver) for end-to-end tests of the published binary through libcni.
/// One per test class (IClassFixture); tests call <see cref="Reset"/> first. All inspection goes through the
/// simulators' own admin endpoints.
/// </summary>
public sealed class EipWorld : IDisposable
{
    private readonly HttpClient _cloud;
    private readonly HttpClient _kube;

    public EipWorld() : this(["--associate-ms", "300", "--unassociate-ms", "300", "--release-ms", "1500"])
    {
    }

    /// <summary>Simulators started with other cloud flags (see tests/AliyunSim/README.md), e.g. a seed file.</summary>
    public static EipWorld WithCloudFlags(params string[] cloudFlags) => new(cloudFlags);

    private EipWorld(string[] cloudFlags)
    {
        Cloud = new SimProcess("aliyun-sim.sh", ["--listen", "127.0.0.1:0", .. cloudFlags]);
        Kube = new SimProcess("kube-sim.sh", "--listen", "127.0.0.1:0");
        _cloud = new HttpClient { BaseAddress = new Uri(Cloud.Url), Timeout = TimeSpan.FromSeconds(30) };
        _kube = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        { BaseAddress = new Uri(Kube.Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public SimProcess Cloud { get; }
    public SimProcess Kube { get; }

    public string AccessKeyId => Cloud.Ready["accessKeyId"]!.GetValue<string>();
    public string AccessKeySecret => Cloud.Ready["accessKeySecret"]!.GetValue<string>();
    public JsonArray Enis => Cloud.Ready["enis"]!.AsArray();
    public string PrimaryEniId => Enis[0]!["networkInterfaceId"]!.GetValue<string>();
    public string SeedEipId => Cloud.Ready["eips"]![0]!["allocationId"]!.GetValue<string>();
    public string BandwidthPackageId => Cloud.Ready["bandwidthPackages"]![0]!.GetValue<string>();

    /// <summary>Back to the seed worlds (EIPs, faults, request logs, pods, events) and the default knobs.</summary>
    public void Reset()
    {
        Post(_cloud, "/_sim/reset", new JsonObject());
        Post(_cloud, "/_sim/config", new JsonObject { ["associateMs"] = 300, ["unassociateMs"] = 300, ["releaseMs"] = 1500, ["throttle"] = "real", ["latencyMs"] = 0 });
        Post(_kube, "/_sim/reset", new JsonObject());
    }

    /// <summary>A CNI chain whose eip-cni talks to these simulators, with eni_conf written; host-local hands out rangeStart..rangeEnd.</summary>
    public CniChain Chain(bool enableEipPool = true, bool allowRob = false, Action<JsonObject>? edit = null,
        string rangeStart = "10.250.0.2", string rangeEnd = "10.250.0.40")
    {
        var chain = new CniChain(rangeStart: rangeStart, rangeEnd: rangeEnd, editEipPlugin: p =>
        {
            p["clusterId"] = "c-e2e";
            p["kubeconfig"] = Kube.Ready["kubeconfig"]!.GetValue<string>();
            p["endpoints"] = new JsonObject { ["vpc"] = Cloud.Url, ["ecs"] = Cloud.Url, ["sts"] = Cloud.Url, ["metadata"] = Cloud.Url };
            p["addTimeoutSeconds"] = 30;
            p["delTimeoutSeconds"] = 15;
            p["logLevel"] = "debug";
            edit?.Invoke(p);
        });
        chain.WriteEniConf(new JsonObject
        {
            ["enable_eip_pool"] = enableEipPool ? "true" : "false",
            ["allow_eip_rob"] = allowRob,
            ["access_key"] = AccessKeyId,
            ["access_secret"] = AccessKeySecret,
            ["region_id"] = Cloud.Ready["region"]!.GetValue<string>(),
        }.ToJsonString());
        return chain;
    }

    /// <summary>Creates the pod in the kube simulator (the plugin patches it and posts events on it).</summary>
    public void CreatePod(string name, IDictionary<string, string>? annotations = null, bool readinessGate = false, string? ownerKind = null, string ns = "default")
    {
        var ann = new JsonObject();
        foreach (var (k, v) in annotations ?? new Dictionary<string, string>()) ann[k] = v;
        var meta = new JsonObject { ["namespace"] = ns, ["name"] = name, ["uid"] = CniChain.PodUid(name), ["annotations"] = ann };
        if (ownerKind is not null)
            meta["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = ownerKind, ["name"] = "owner", ["uid"] = "uid-owner", ["controller"] = true });
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx" }) };
        if (readinessGate) spec["readinessGates"] = new JsonArray(new JsonObject { ["conditionType"] = "k8s.aliyun.com/eip" });
        Post(_kube, "/_sim/pods", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec });
    }

    /// <summary>A pod as the API server shows a scheduled, running one: its node, UID and IP.</summary>
    public void CreateRunningPod(string name, string uid, string node, string? ip = null, IDictionary<string, string>? annotations = null, string ns = "default")
    {
        var ann = new JsonObject();
        foreach (var (k, v) in annotations ?? new Dictionary<string, string>()) ann[k] = v;
        var status = new JsonObject { ["phase"] = "Running" };
        if (ip is not null) status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip });
        Post(_kube, "/_sim/pods", new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name, ["uid"] = uid, ["annotations"] = ann },
            ["spec"] = new JsonObject { ["nodeName"] = node, ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx" }) },
            ["status"] = status,
        });
    }

    /// <summary>A Node object (through the API, with the simulator's admin token: nodes have no admin endpoint).</summary>
    public void CreateNode(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/nodes")
        {
            Content = new StringContent(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = name } }.ToJsonString(),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Kube.Ready["token"]!.GetValue<string>());
        using var r = _kube.SendAsync(request).GetAwaiter().GetResult();
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/v1/nodes: {(int)r.StatusCode} {r.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
    }

    /// <summary>An EIP made behind the plugin's back with these tags (e.g. as eip-cni's ADD tags them), optionally bound.</summary>
    public JsonObject CreateTaggedEip(IEnumerable<KeyValuePair<string, string>> tags, string? bindEni = null, string? bindIp = null)
    {
        var body = new JsonObject { ["tags"] = new JsonObject(tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))) };
        if (bindEni is not null) body["bindTo"] = new JsonObject { ["networkInterfaceId"] = bindEni, ["privateIpAddress"] = bindIp };
        return Post(_cloud, "/_sim/eips", body)!.AsObject();
    }

    public JsonObject Pod(string name, string ns = "default") => Get(_kube, $"/_sim/pods/{ns}/{name}").AsObject();

    public JsonArray Eips() => Get(_cloud, "/_sim/eips")["eips"]!.AsArray();

    /// <summary>EIPs made through the API (by eip-cni), i.e. everything but the seed world's user-owned ones.</summary>
    public JsonNode[] ApiEips() => Eips().Where(e => e!["allocatedBy"]!.GetValue<string>() == "api").Select(e => e!).ToArray();

    public JsonObject Eip(string id) => Eips().Single(e => e!["allocationId"]!.GetValue<string>() == id)!.AsObject();

    /// <summary>Every EIP since the last reset, released ones included (releaseTime, goneTime).</summary>
    public JsonArray EipHistory() => Get(_cloud, "/_sim/eips?history=true")["eips"]!.AsArray();

    /// <summary>
    /// Every EIP allocated through the API since the last reset, released ones included: "exactly one was ever made".
    /// (<see cref="ApiEips"/> shows a released EIP only while it is Releasing, half a second: too short to ask after a DEL.)
    /// </summary>
    public JsonNode[] ApiEipsEverAllocated() => EipHistory().Where(e => e!["allocatedBy"]!.GetValue<string>() == "api").Select(e => e!).ToArray();

    /// <summary>A console user unbinds the EIP behind the plugin's back (through Unassociating, or at once).</summary>
    public void ConsoleUnassociate(string id, bool immediate) => Post(_cloud, $"/_sim/eips/{id}/unassociate{(immediate ? "?immediate=true" : "")}", new JsonObject());

    /// <summary>A console user deletes the EIP (unbound and released whatever it was doing).</summary>
    public void ConsoleDelete(string id)
    {
        using var r = _cloud.DeleteAsync($"/_sim/eips/{id}").GetAwaiter().GetResult();
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"DELETE /_sim/eips/{id}: {(int)r.StatusCode} {r.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
    }

    public JsonArray CloudRequests() => Get(_cloud, "/_sim/requests")["requests"]!.AsArray();

    public JsonNode[] MutatingCloudRequests() => CloudRequests().Where(r => r!["mutating"]!.GetValue<bool>()).Select(r => r!).ToArray();

    public JsonArray KubeRequests() => Get(_kube, "/_sim/requests").AsArray() is { } a ? a : [];

    public JsonArray KubeEvents() => Get(_kube, "/_sim/events") switch { JsonArray a => a, JsonObject o when o["events"] is JsonArray e => e, _ => [] };

    public void CloudFault(JsonObject rule) => Post(_cloud, "/_sim/faults", rule);

    public void KubeFault(JsonObject rule) => Post(_kube, "/_sim/faults", rule);

    public void ClearFaults()
    {
        _cloud.DeleteAsync("/_sim/faults").GetAwaiter().GetResult().EnsureSuccessStatusCode();
        _kube.DeleteAsync("/_sim/faults").GetAwaiter().GetResult().EnsureSuccessStatusCode();
    }

    public void CloudConfig(JsonObject knobs) => Post(_cloud, "/_sim/config", knobs);

    /// <summary>A user-owned EIP, optionally bound somewhere already.</summary>
    public JsonObject CreateUserEip(string? bindEni = null, string? bindIp = null)
    {
        var body = new JsonObject();
        if (bindEni is not null) body["bindTo"] = new JsonObject { ["networkInterfaceId"] = bindEni, ["privateIpAddress"] = bindIp };
        return Post(_cloud, "/_sim/eips", body)!.AsObject();
    }

    private static JsonNode Get(HttpClient http, string path)
    {
        using var r = http.GetAsync(path).GetAwaiter().GetResult();
        var text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path}: {(int)r.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static JsonNode? Post(HttpClient http, string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var r = http.PostAsync(path, content).GetAwaiter().GetResult();
        var text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)r.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public void Dispose()
    {
        _cloud.Dispose();
        _kube.Dispose();
        Cloud.Dispose();
        Kube.Dispose();
    }
}

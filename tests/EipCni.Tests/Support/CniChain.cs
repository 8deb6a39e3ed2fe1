using System.Text.Json.Nodes;

namespace EipCni.Tests.Support;

/// <summary>
/// A real CNI chain on this host: a network namespace, Debian's reference plugins (bridge + host-local) followed by
/// the published eip-cni, driven through libcni by tests/cnitool. Everything is removed on Dispose, even after a failure.
/// </summary>
public sealed class CniChain : IDisposable
{
    private readonly TempDir _dir = new("eipcni-chain");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];

    public CniChain(Action<JsonObject>? editEipPlugin = null, string subnet = "10.250.0.0/24", string rangeStart = "10.250.0.2", string rangeEnd = "10.250.0.40")
    {
        NetName = "eipnet-" + _suffix;
        Bridge = "eipbr" + _suffix;
        Netns = "eipns-" + _suffix;
        Directory.CreateDirectory(BinDir);
        foreach (var p in new[] { "bridge", "host-local", "loopback", "portmap" })
            File.CreateSymbolicLink(Path.Combine(BinDir, p), "/usr/lib/cni/" + p);
        File.CreateSymbolicLink(Path.Combine(BinDir, "eip-cni"), Repo.PluginBinary);

        EipPlugin = new JsonObject
        {
            ["type"] = "eip-cni",
            ["clusterId"] = "c1234",
            ["eniConfPath"] = EniConfPath,
            ["stateDir"] = StateDir,
            ["logFile"] = LogFile,
            ["capabilities"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = true },
        };
        editEipPlugin?.Invoke(EipPlugin);
        var conflist = new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = NetName,
            ["plugins"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "bridge",
                    ["bridge"] = Bridge,
                    ["isGateway"] = false, // no host address: parallel tests may reuse the subnet on other bridges
                    ["ipMasq"] = false,
                    ["ipam"] = new JsonObject
                    {
                        ["type"] = "host-local",
                        ["dataDir"] = IpamDir,
                        ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = subnet, ["rangeStart"] = rangeStart, ["rangeEnd"] = rangeEnd })),
                    },
                },
                EipPlugin),
        };
        Directory.CreateDirectory(ConfDir);
        File.WriteAllText(Path.Combine(ConfDir, "10-eip.conflist"), conflist.ToJsonString());

        var add = ProcessRunner.Run("ip", ["netns", "add", Netns]);
        if (add.ExitCode != 0) throw new InvalidOperationException("ip netns add failed (the e2e tests need root): " + add.Stderr);
    }

    public string NetName { get; }
    public string Bridge { get; }
    public string Netns { get; }
    public string NetnsPath => "/var/run/netns/" + Netns;
    public JsonObject EipPlugin { get; }
    public string BinDir => _dir.File("bin");
    public string ConfDir => _dir.File("net.d");
    public string CacheDir => _dir.File("cache");
    public string IpamDir => _dir.File("ipam");
    public string StateDir => _dir.File("state");
    public string EniConfPath => _dir.File("eni.json");
    public string LogFile => _dir.File("eip-cni.log");

    public void WriteEniConf(string json) => File.WriteAllText(EniConfPath, json);

    /// <summary>Runs tests/cnitool (libcni) with the given verb; <paramref name="env"/> adds variables (e.g. CNI_PLUGIN_TIMEOUT_MS).</summary>
    public ProcessResult Cnitool(string verb, string containerId = "pod-sandbox-1", string? capArgs = null,
        string? validAttachments = null, string podName = "web-0", string? netnsPath = null, IDictionary<string, string>? env = null)
    {
        var vars = CnitoolEnv(containerId, podName);
        if (capArgs is not null) vars["CAP_ARGS"] = capArgs;
        if (validAttachments is not null) vars["VALID_ATTACHMENTS"] = validAttachments;
        if (env is not null) foreach (var (k, v) in env) vars[k] = v;
        return ProcessRunner.Run(Path.Combine(Repo.Root, "out", "cnitool"), [verb, NetName, netnsPath ?? NetnsPath], vars, timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>The CNI_* environment libcni sees for this container (also what a direct call of the plugin gets).</summary>
    public Dictionary<string, string> CnitoolEnv(string containerId, string podName) => new()
    {
        ["NETCONFPATH"] = ConfDir,
        ["CNI_PATH"] = BinDir,
        ["CNI_CACHE_DIR"] = CacheDir,
        ["CNI_CONTAINERID"] = containerId,
        ["CNI_IFNAME"] = "eth0",
        ["CNI_ARGS"] = $"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME={podName};K8S_POD_INFRA_CONTAINER_ID={containerId};K8S_POD_UID={PodUid(podName)}",
    };

    /// <summary>The pod's UID as the kubelet passes it (a UUID), derived from its name so the kube simulator's pod matches.</summary>
    public static string PodUid(string podName) =>
        new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(podName))).ToString();

    public static string PodAnnotations(params (string Key, string Value)[] annotations)
    {
        var a = new JsonObject();
        foreach (var (k, v) in annotations) a[k] = v;
        return new JsonObject { ["io.kubernetes.cri.pod-annotations"] = a }.ToJsonString();
    }

    /// <summary>Addresses on eth0 inside the namespace ("" when the interface is gone).</summary>
    public string PodAddresses() => ProcessRunner.Run("ip", ["-n", Netns, "-o", "-4", "addr", "show"]).Stdout;

    public string[] IpamReservations() =>
        Directory.Exists(IpamDir) ? Directory.GetFiles(IpamDir, "*", SearchOption.AllDirectories).Select(Path.GetFileName)
            .Where(n => n is not null && System.Net.IPAddress.TryParse(n, out _)).Select(n => n!).ToArray() : [];

    public string[] CachedResults() => Directory.Exists(Path.Combine(CacheDir, "results")) ? Directory.GetFiles(Path.Combine(CacheDir, "results")) : [];

    public string[] LogLines() => File.Exists(LogFile) ? File.ReadAllLines(LogFile) : [];

    public void Dispose()
    {
        ProcessRunner.Run("ip", ["netns", "del", Netns]);
        ProcessRunner.Run("ip", ["link", "del", Bridge]);
        _dir.Dispose();
    }
}

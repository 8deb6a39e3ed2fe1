using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EipCni.Cloud;
using EipCni.Tests.Support;

namespace EipCni.Tests.E2e;

/// <summary>
/// Helpers for the failure, crash, concurrency and DEL/GC end-to-end tests: calling the published plugin directly
/// (to read the exact CNI error code a runtime gets), reading the journal, finding and killing a running plugin
/// process, extra network namespaces, and "the user" acting on the cloud through the OpenAPI.
/// </summary>
internal static partial class FailureE2e
{
    public const string WantsEip = "network.alibabacloud.com/pod-with-eip";
    public const string AllocatedNew = "network.alibabacloud.com/allocated-eipAddress";
    public const string AllocatedOld = "k8s.aliyun.com/allocated-eipAddress";

    public static readonly Dictionary<string, string> AutoEip = new() { [WantsEip] = "true" };

    public static string Caps(IDictionary<string, string> annotations) =>
        CniChain.PodAnnotations(annotations.Select(kv => (kv.Key, kv.Value)).ToArray());

    /// <summary>
    /// Calls the published eip-cni directly, as libcni would for the last plugin of the chain (same config, a
    /// prevResult holding <paramref name="podIp"/>), so the test sees the exact CNI result or error JSON.
    /// </summary>
    public static ProcessResult Plugin(this CniChain chain, string command, string containerId, string podIp,
        string podName = "web-0", IDictionary<string, string>? annotations = null, string? netns = null, string cniVersion = "1.0.0",
        JsonArray? validAttachments = null, TimeSpan? timeout = null)
    {
        var conf = JsonNode.Parse(chain.EipPlugin.ToJsonString())!.AsObject();
        conf["name"] = chain.NetName;
        conf["cniVersion"] = cniVersion;
        if (annotations is not null)
        {
            var a = new JsonObject();
            foreach (var (k, v) in annotations) a[k] = v;
            conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = a };
        }
        if (command is "ADD" or "CHECK" or "DEL")
            conf["prevResult"] = new JsonObject
            {
                ["cniVersion"] = cniVersion,
                ["interfaces"] = new JsonArray(new JsonObject { ["name"] = "eth0", ["mac"] = "0a:58:0a:fa:00:1e", ["sandbox"] = netns ?? chain.NetnsPath }),
                ["ips"] = new JsonArray(new JsonObject { ["address"] = podIp + "/24", ["interface"] = 0 }),
            };
        if (validAttachments is not null)
        {
            conf["cni.dev/valid-attachments"] = validAttachments.DeepClone();
            conf["cni.dev/attachments"] = validAttachments.DeepClone();
        }
        var env = NativePlugin.Env(command, containerId, netns ?? chain.NetnsPath);
        env["CNI_PATH"] = chain.BinDir;
        env["CNI_ARGS"] = $"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME={podName};K8S_POD_INFRA_CONTAINER_ID={containerId};K8S_POD_UID={CniChain.PodUid(podName)}";
        if (command is "GC" or "STATUS") { env.Remove("CNI_CONTAINERID"); env.Remove("CNI_NETNS"); env.Remove("CNI_IFNAME"); }
        return NativePlugin.Invoke(env, conf.ToJsonString(), timeout ?? TimeSpan.FromMinutes(3));
    }

    /// <summary>The journal records of the chain's network (phase, allocationId, ...), as the operator finds them on disk.</summary>
    public static JsonObject[] JournalRecords(this CniChain chain)
    {
        var dir = Path.Combine(chain.StateDir, "networks", chain.NetName);
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir, "*.json").Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!.AsObject()).ToArray();
    }

    public static JsonObject? JournalRecord(this CniChain chain, string containerId) =>
        chain.JournalRecords().SingleOrDefault(r => r["containerId"]!.GetValue<string>() == containerId);

    public static string Str(this JsonNode? node, string key) => node?[key]?.GetValue<string>() ?? "";

    /// <summary>The pod's IPv4 inside the namespace (set up by bridge + host-local even when the chain failed later).</summary>
    public static string PodIp(this CniChain chain, string? netns = null)
    {
        var text = ProcessRunner.Run("ip", ["-n", netns ?? chain.Netns, "-o", "-4", "addr", "show", "dev", "eth0"]).Stdout;
        return InetRegex().Match(text) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no IPv4 on eth0: " + text);
    }

    public static string IpOfResult(string addStdout) =>
        JsonNode.Parse(addStdout)!["ips"]![0]!["address"]!.GetValue<string>().Split('/')[0];

    [GeneratedRegex(@"inet (\d+\.\d+\.\d+\.\d+)/")]
    private static partial Regex InetRegex();

    /// <summary>
    /// What a failed or undone ADD must leave: every EIP eip-cni made is on its way out (Releasing) or gone, nothing of
    /// ours is bound, and the user's seed EIP is untouched.
    /// </summary>
    public static void AssertNothingLeftBehind(this EipWorld world)
    {
        foreach (var e in world.ApiEips())
        {
            Assert.True(e.Str("status") == "Releasing", $"EIP {e.Str("allocationId")} left behind in status {e.Str("status")} on {e.Str("instanceId")} {e.Str("privateIpAddress")}");
        }
        var seed = world.Eip(world.SeedEipId);
        Assert.Equal("Available", seed.Str("status"));
        Assert.Equal("", seed.Str("instanceId"));
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what) => Wait.Until(condition, timeout, what);

    /// <summary>Runs cnitool on its own thread (it blocks for the whole verb), so the test can act while the plugin works.</summary>
    public static Task<ProcessResult> CnitoolInBackground(this CniChain chain, string verb, string containerId, string? capArgs = null,
        string podName = "web-0", string? netnsPath = null, string? validAttachments = null) =>
        Task.Factory.StartNew(() => chain.Cnitool(verb, containerId: containerId, capArgs: capArgs, podName: podName, netnsPath: netnsPath, validAttachments: validAttachments),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// The PID of the running eip-cni (the published binary) that libcni started for this container and verb: its
    /// parent is our cnitool and its environment names the container. Unique per test, so killing it touches nothing else.
    /// </summary>
    public static int WaitForPluginProcess(string containerId, string command, TimeSpan timeout)
    {
        var binary = Path.GetFullPath(Repo.PluginBinary);
        var found = 0;
        WaitUntil(() => (found = FindPluginProcess(binary, containerId, command)) != 0, timeout, $"eip-cni {command} for {containerId} to start");
        return found;
    }

    private static int FindPluginProcess(string binary, string containerId, string command)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var exe = new FileInfo(Path.Combine(dir, "exe")).LinkTarget;
                if (exe is null || Path.GetFullPath(exe) != binary) continue;
                var environ = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (!environ.Contains("CNI_CONTAINERID=" + containerId) || !environ.Contains("CNI_COMMAND=" + command)) continue;
                var ppid = File.ReadAllLines(Path.Combine(dir, "status")).First(l => l.StartsWith("PPid:"))[5..].Trim();
                var parent = File.ReadAllText($"/proc/{ppid}/cmdline");
                if (parent.Contains("cnitool")) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // the process ended while we looked
            }
        }
        return 0;
    }

    /// <summary>SIGKILL to exactly this PID (what the OOM killer or a node crash does to a plugin).</summary>
    public static void Kill(int pid)
    {
        using var p = Process.GetProcessById(pid);
        p.Kill();
        p.WaitForExit(5000);
    }

    /// <summary>The account owner acting on the cloud through the signed OpenAPI (console-style changes behind eip-cni's back).</summary>
    public static CloudClients UserCloud(this EipWorld world, string stateDir) => CloudClients.Create(new CloudOptions
    {
        RegionId = world.Cloud.Ready["region"]!.GetValue<string>(),
        VpcEndpoint = new Uri(world.Cloud.Url),
        EcsEndpoint = new Uri(world.Cloud.Url),
        StsEndpoint = new Uri(world.Cloud.Url),
        MetadataEndpoint = new Uri(world.Cloud.Url),
        AccessKeyId = world.AccessKeyId,
        AccessKeySecret = world.AccessKeySecret,
        StateDir = Path.Combine(stateDir, "state"), // created 0700 by the client: a TempDir (0755) is refused as a state dir
    }, NullLog.Instance, _ => null);

    public static JsonObject Fault(string action, string? code = null, int? httpStatus = null, int? count = null,
        bool drop = false, int stallMs = 0, bool afterApply = false, string? message = null)
    {
        var rule = new JsonObject { ["action"] = action };
        if (code is not null) rule["code"] = code;
        if (httpStatus is not null) rule["httpStatus"] = httpStatus;
        if (count is not null) rule["count"] = count;
        if (drop) rule["drop"] = true;
        if (stallMs > 0) rule["stallMs"] = stallMs;
        if (afterApply) rule["afterApply"] = true;
        if (message is not null) rule["message"] = message;
        return rule;
    }

    /// <summary>The plugin's log lines joined, for assertion messages.</summary>
    public static string Log(this CniChain chain) => string.Join("\n", chain.LogLines().TakeLast(40));
}

using System.Numerics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CniFuzzer;

/// <summary>
/// Which inputs must not succeed, by the CNI spec and the plugin's documented config (README) only. It is computed
/// from the bytes and files the plugin gets, independently of which mutation made them, and it says nothing when it
/// is not sure (a duplicate key, a BOM, an integer written as 1E2, an out-of-range interface index, the default
/// eni_conf path). Each reason starts with its rule's id; the rules are listed in README ("A fuzzer in the suite").
/// </summary>
public static partial class Oracle
{
    public static readonly string[] Verbs = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"];
    public const int MaxStdin = 1 << 20;

    /// <summary>The reasons this call is known to be invalid (empty: valid, or not sure). Values are in backquotes.</summary>
    public static List<string> Reasons(BuiltCase c, FuzzWorld world, JsonElement? root)
    {
        var why = new List<string>();
        var verb = c.Command;
        if (!Verbs.Contains(verb))
        {
            why.Add($"E1 CNI_COMMAND `{CaseGenerator.Show(verb)}` is not a CNI verb");
            return why;
        }
        if (verb == "VERSION") return why;
        CheckEnv(c, verb, why);

        if (c.Stdin.Length > MaxStdin) why.Add($"S1 stdin is {c.Stdin.Length} bytes, over the documented 1 MiB");
        else if (c.Stdin.Length == 0) why.Add("S1 stdin is empty");
        else if (!System.Text.Unicode.Utf8.IsValid(c.Stdin)) why.Add("S1 stdin is not UTF-8");
        else if (c.Stdin.AsSpan().StartsWith("\uFEFF"u8)) { } // a BOM: RFC 8259 lets parsers ignore it; not sure either way
        else if (root is null) why.Add("S1 stdin is not one JSON text");
        else if (root.Value.ValueKind != JsonValueKind.Object) why.Add($"S1 stdin is a JSON {root.Value.ValueKind}, not an object");
        else CheckConf(root.Value, verb, c, world, why);
        return why;
    }

    /// <summary>Parses stdin strictly (RFC 8259: one value, no comments, no trailing commas), or null.</summary>
    public static JsonDocument? Parse(byte[] stdin)
    {
        if (stdin.Length == 0 || stdin.Length > MaxStdin || stdin.AsSpan().StartsWith("\uFEFF"u8)) return null;
        try
        {
            return JsonDocument.Parse(stdin, new JsonDocumentOptions { MaxDepth = 1_000_000 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // E2–E4: the CNI_* variables the spec requires for the verb, the container ID's characters, Linux interface names.
    private static void CheckEnv(BuiltCase c, string verb, List<string> why)
    {
        string[] required = verb switch
        {
            "ADD" or "CHECK" => ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"],
            "DEL" => ["CNI_CONTAINERID", "CNI_IFNAME"],
            _ => [],
        };
        foreach (var v in required)
            if (!c.RawEnv.ContainsKey(v) && string.IsNullOrEmpty(c.Env.GetValueOrDefault(v)))
                why.Add($"E2 {v} is missing or empty");
        if (required.Length == 0) return;
        if (c.RawEnv.ContainsKey("CNI_CONTAINERID")) why.Add("E3 CNI_CONTAINERID is not UTF-8 text");
        else if (c.Env.GetValueOrDefault("CNI_CONTAINERID") is { Length: > 0 } id && !SpecName().IsMatch(id))
            why.Add($"E3 CNI_CONTAINERID `{CaseGenerator.Show(id, 40)}` has characters the spec forbids");
        if (c.Env.GetValueOrDefault("CNI_IFNAME") is { Length: > 0 } ifn)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(ifn) > 15) why.Add($"E4 CNI_IFNAME `{CaseGenerator.Show(ifn, 40)}` is longer than 15 bytes");
            else if (ifn is "." or ".." || ifn.Any(ch => ch is '/' or ':' or ' ' || (ch < ' ') || ch == '\u007f'))
                why.Add($"E4 CNI_IFNAME `{CaseGenerator.Show(ifn)}` is not a Linux interface name");
        }
    }

    private static void CheckConf(JsonElement root, string verb, BuiltCase c, FuzzWorld world, List<string> why)
    {
        // S2: cniVersion.
        var version = JsonView.Get(root, "cniVersion");
        if (!version.Present) why.Add("S2 no cniVersion (0.1.0, unsupported)");
        else if (version.Unique)
        {
            var v = JsonView.Text(version.Value);
            if (v is null) why.Add($"S2 cniVersion is not a string: {Raw(version.Value)}");
            else if (!CaseGenerator.Versions.Contains(v)) why.Add($"S2 cniVersion `{CaseGenerator.Show(v)}` is not supported");
            else if (verb == "CHECK" && string.CompareOrdinal(v, "0.4.0") < 0) why.Add($"S2 CHECK needs 0.4.0 or later, config is {v}");
            else if (verb is "GC" or "STATUS" && v != "1.1.0") why.Add($"S2 {verb} needs 1.1.0, config is {v}");
        }

        // S3: the network name, by the spec's rule.
        var name = JsonView.Get(root, "name");
        if (!name.Present) why.Add("S3 no network name");
        else if (name.Unique && (JsonView.Text(name.Value) is not { } n || !SpecName().IsMatch(n)))
            why.Add($"S3 name {Raw(name.Value)} is not a valid network name");

        // S4: the plugin's documented keys, wrong type or value.
        var cluster = JsonView.Get(root, "clusterId");
        if (cluster.Unique && (cluster.Value.ValueKind != JsonValueKind.String ||
            (JsonView.Text(cluster.Value) is { Length: > 0 } cid && (cid.Length > 64 || !ClusterIdPattern().IsMatch(cid))) || JsonView.IsBrokenText(cluster.Value)))
            why.Add($"S4 clusterId {Raw(cluster.Value)} is not 1-64 of A-Za-z0-9_.-");
        foreach (var key in new[] { "eniConfPath", "kubeconfig", "stateDir", "logFile", "regionId" })
            if (JsonView.Get(root, key) is { Unique: true } f && f.Value.ValueKind != JsonValueKind.String)
                why.Add($"S4 {key} is {Raw(f.Value)}, not a string");
        if (JsonView.Get(root, "logLevel") is { Unique: true } level && JsonView.Text(level.Value) is not ("debug" or "info" or "warn" or "error"))
            why.Add($"S4 logLevel {Raw(level.Value)} is not debug, info, warn or error");
        foreach (var (key, min, max) in new[] { ("addTimeoutSeconds", 5, 200), ("delTimeoutSeconds", 1, 110), ("maxConcurrentCloudCalls", 1, 64) })
            if (JsonView.Get(root, key) is { Unique: true } f && JsonView.CertainlyOutOfRange(f.Value, min, max))
                why.Add($"S4 {key} {Raw(f.Value)} is not an integer from {min} to {max}");
        if (JsonView.Get(root, "statefulWorkloadKinds") is { Unique: true } kinds &&
            (kinds.Value.ValueKind != JsonValueKind.Array || kinds.Value.EnumerateArray().Any(k => JsonView.Text(k) is not { Length: > 0 })))
            why.Add($"S4 statefulWorkloadKinds {Raw(kinds.Value)} is not an array of kind names");
        CheckEndpoints(root, why);

        if (verb is "ADD" or "CHECK") CheckPrevResult(root, verb, why);
        if (verb == "GC") CheckAttachments(root, why);
        // DEL and GC decide from the journal alone: a malformed eni_conf must never keep a pod Terminating (S7 is ADD,
        // CHECK and STATUS only).
        var eni = verb is "DEL" or "GC" ? null : CheckEniConf(root, c, why);
        if (verb is "ADD" or "CHECK" && eni is { Enabled: true }) CheckEipRequest(root, verb, world, eni, why);
    }

    // S4, endpoints: an object of http(s) URLs; plain http only to loopback or the metadata address.
    private static void CheckEndpoints(JsonElement root, List<string> why)
    {
        var endpoints = JsonView.Get(root, "endpoints");
        if (!endpoints.Unique) return;
        if (endpoints.Value.ValueKind != JsonValueKind.Object)
        {
            why.Add($"S4 endpoints is {Raw(endpoints.Value)}, not an object");
            return;
        }
        foreach (var key in new[] { "vpc", "ecs", "sts", "metadata" })
        {
            var f = JsonView.Get(endpoints.Value, key);
            if (!f.Unique) continue;
            var url = JsonView.Text(f.Value);
            if (f.Value.ValueKind != JsonValueKind.String) why.Add($"S4 endpoints.{key} is {Raw(f.Value)}, not a string");
            else if (url is null || url.Length == 0) continue;
            else if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                why.Add($"S4 endpoints.{key} `{CaseGenerator.Show(url)}` is not an http(s) URL");
            else if (url.Equals("https://", StringComparison.OrdinalIgnoreCase) || url.Equals("http://", StringComparison.OrdinalIgnoreCase))
                why.Add($"S4 endpoints.{key} `{CaseGenerator.Show(url)}` has no host");
            else if (url.StartsWith("http://vpc.example.com", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://169.254.169.254", StringComparison.OrdinalIgnoreCase))
                why.Add($"S4 endpoints.{key} `{CaseGenerator.Show(url)}` is plain http to a host that is neither loopback nor 100.100.100.200");
        }
    }

    // S5: prevResult, as ADD and CHECK read it: every ips entry an object with a CIDR address and an integer interface index.
    private static void CheckPrevResult(JsonElement root, string verb, List<string> why)
    {
        var prev = JsonView.Get(root, "prevResult");
        if (!prev.Present)
        {
            why.Add($"S5 {verb} without prevResult");
            return;
        }
        if (!prev.Unique) return;
        if (prev.Value.ValueKind != JsonValueKind.Object)
        {
            why.Add($"S5 prevResult is {Raw(prev.Value)}, not an object");
            return;
        }
        var interfaces = JsonView.Get(prev.Value, "interfaces");
        if (interfaces.Unique)
        {
            if (interfaces.Value.ValueKind != JsonValueKind.Array) why.Add($"S5 prevResult.interfaces is {Raw(interfaces.Value)}, not an array");
            else
            {
                var i = 0;
                foreach (var e in interfaces.Value.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.Object) why.Add($"S5 prevResult.interfaces[{i}] is {Raw(e)}, not an object");
                    else if (JsonView.Get(e, "name") is { Unique: true } nm && nm.Value.ValueKind != JsonValueKind.String)
                        why.Add($"S5 prevResult.interfaces[{i}].name is {Raw(nm.Value)}, not a string");
                    i++;
                }
            }
        }
        var ips = JsonView.Get(prev.Value, "ips");
        if (!ips.Unique) return;
        if (ips.Value.ValueKind != JsonValueKind.Array)
        {
            why.Add($"S5 prevResult.ips is {Raw(ips.Value)}, not an array");
            return;
        }
        var k = 0;
        foreach (var e in ips.Value.EnumerateArray())
        {
            var at = $"prevResult.ips[{k++}]";
            if (e.ValueKind != JsonValueKind.Object)
            {
                why.Add($"S5 {at} is {Raw(e)}, not an object");
                continue;
            }
            var address = JsonView.Get(e, "address");
            if (!address.Present) why.Add($"S5 {at} has no address");
            else if (address.Unique && (JsonView.Text(address.Value) is not { } a || !JsonView.IsCidr(a)))
                why.Add($"S5 {at}.address {Raw(address.Value)} is not an address in CIDR form");
            var index = JsonView.Get(e, "interface");
            if (index.Unique && (index.Value.ValueKind != JsonValueKind.Number || JsonView.CertainlyNotAnInteger(index.Value)))
                why.Add($"S5 {at}.interface {Raw(index.Value)} is not an integer index");
        }
    }

    // S6: the CNI 1.1 GC list: an array of {containerID, ifname}, both non-empty strings.
    private static void CheckAttachments(JsonElement root, List<string> why)
    {
        var key = "cni.dev/valid-attachments";
        var list = JsonView.Get(root, key);
        if (!list.Present)
        {
            key = "cni.dev/attachments";
            list = JsonView.Get(root, key);
        }
        if (!list.Unique) return;
        if (list.Value.ValueKind != JsonValueKind.Array)
        {
            why.Add($"S6 {key} is {Raw(list.Value)}, not an array");
            return;
        }
        var i = 0;
        foreach (var e in list.Value.EnumerateArray())
        {
            var at = $"{key}[{i++}]";
            if (e.ValueKind != JsonValueKind.Object)
            {
                why.Add($"S6 {at} is {Raw(e)}, not an object");
                continue;
            }
            var (id, ifName) = (JsonView.Get(e, "containerID"), JsonView.Get(e, "ifname"));
            if (id.Ambiguous || ifName.Ambiguous) continue;
            if (JsonView.Text(id.Value) is not { Length: > 0 } || JsonView.Text(ifName.Value) is not { Length: > 0 })
                why.Add($"S6 {at} is not {{containerID, ifname}} of non-empty strings");
        }
    }

    /// <summary>What the oracle knows of eni_conf: the feature on or off, and its cluster_id.</summary>
    public sealed record EniView(bool Enabled, string? ClusterId);

    // S7: eni_conf at eniConfPath: a directory or /dev/null is unusable; a file must be a JSON object with the documented
    // flag values and string keys. A missing file is the feature off. Returns null when not sure (default path, FIFO).
    private static EniView? CheckEniConf(JsonElement root, BuiltCase c, List<string> why)
    {
        var pathField = JsonView.Get(root, "eniConfPath");
        if (!pathField.Unique || JsonView.Text(pathField.Value) is not { } path || !path.StartsWith('/') || path.Contains('\0')) return null;
        if (c.Files.GetValueOrDefault(path)?.Kind == CaseFileKind.Fifo) return null; // never opened here: it blocks
        if (path == "/dev/zero")
        {
            why.Add("S7 eni_conf is /dev/zero, not a JSON object");
            return null;
        }
        if (Directory.Exists(path))
        {
            why.Add($"S7 eni_conf `{CaseGenerator.Show(path)}` is a directory");
            return null;
        }
        if (!File.Exists(path)) return new EniView(false, null);
        var bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().StartsWith("\uFEFF"u8)) return null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 1_000_000 });
        }
        catch (JsonException)
        {
            why.Add($"S7 eni_conf `{CaseGenerator.Show(path)}` is not JSON");
            return null;
        }
        using (doc)
        {
            var eni = doc.RootElement;
            if (eni.ValueKind != JsonValueKind.Object)
            {
                why.Add($"S7 eni_conf is a JSON {eni.ValueKind}, not an object");
                return null;
            }
            bool? enabled = false;
            foreach (var key in new[] { "enable_eip_pool", "allow_eip_rob" })
            {
                var f = JsonView.Get(eni, key);
                bool? flag = !f.Present ? false : !f.Unique ? null : f.Value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String when JsonView.Text(f.Value) == "true" => true,
                    JsonValueKind.String when JsonView.Text(f.Value) == "false" => false,
                    _ => null,
                };
                if (f.Unique && flag is null) why.Add($"S7 eni_conf {key} {Raw(f.Value)} is not \"true\", true, \"false\" or false");
                if (key == "enable_eip_pool") enabled = flag;
            }
            foreach (var key in new[] { "region_id", "cluster_id", "access_key", "access_secret" })
                if (JsonView.Get(eni, key) is { Unique: true } f && f.Value.ValueKind != JsonValueKind.String)
                    why.Add($"S7 eni_conf {key} is {(key.StartsWith("access", StringComparison.Ordinal) ? "`(hidden)`" : Raw(f.Value))}, not a string");
            var clusterField = JsonView.Get(eni, "cluster_id");
            if (enabled is null || clusterField.Ambiguous || why.Any(w => w.StartsWith("S7", StringComparison.Ordinal))) return null;
            return new EniView(enabled.Value, clusterField.Unique ? JsonView.Text(clusterField.Value) : null);
        }
    }

    // S8: with the feature on and the pod asking (by the annotations the runtime passed), an EIP must be bound before
    // ADD returns: an invalid annotation, no cluster ID, no pod IPv4, an EIP that does not exist or an unreachable
    // cloud cannot end in success; nor can CHECK with the cloud unreachable.
    private static void CheckEipRequest(JsonElement root, string verb, FuzzWorld world, EniView eni, List<string> why)
    {
        if (JsonView.Get(root, "runtimeConfig") is not { Unique: true } rc || rc.Value.ValueKind != JsonValueKind.Object) return;
        if (JsonView.Get(rc.Value, CaseGenerator.PodAnnotations) is not { Unique: true } annField || annField.Value.ValueKind != JsonValueKind.Object) return;
        var ann = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in annField.Value.EnumerateObject())
        {
            string name;
            try { name = p.Name; } catch (InvalidOperationException) { return; }
            if (JsonView.Text(p.Value) is not { } value || !ann.TryAdd(name, value)) return; // the plugin must refuse it anyway; not this rule's business
        }
        string? First(params string[] names) => names.Select(n => ann.GetValueOrDefault(n)).FirstOrDefault(v => v is not null);
        string? Annotation(string name, string? compat = null) =>
            First(["network.alibabacloud.com/" + name, "k8s.aliyun.com/" + name, .. compat is null ? Array.Empty<string>() : [compat]]);

        var flag = Annotation("pod-with-eip", "k8s.aliyun.com/eci-with-eip");
        var userEip = Annotation("pod-eip-instanceid", "k8s.aliyun.com/eci-eip-instanceid");
        var asks = !string.IsNullOrEmpty(userEip) || (flag is not null && flag.Equals("true", StringComparison.OrdinalIgnoreCase));
        if (!asks) return;

        if (AllEndpointsAre(root, world.ClosedUrl))
            why.Add($"S8 {verb} of a pod asking for an EIP succeeded with every cloud endpoint refusing connections");
        if (verb != "ADD") return;

        foreach (var problem in InvalidAnnotations(Annotation))
            why.Add("S8 " + problem);
        if (userEip == "eip-fuzz0nonexistent") why.Add("S8 the user-specified EIP eip-fuzz0nonexistent does not exist");
        var cluster = JsonView.Get(root, "clusterId");
        if (!cluster.Ambiguous && (!cluster.Present || JsonView.Text(cluster.Value) is "") && string.IsNullOrEmpty(eni.ClusterId))
            why.Add("S8 no clusterId in the plugin config nor in eni_conf, and the pod asks for an EIP");
        if (JsonView.Get(root, "prevResult") is { Unique: true } prev && prev.Value.ValueKind == JsonValueKind.Object)
        {
            var ips = JsonView.Get(prev.Value, "ips");
            if (!ips.Ambiguous && (!ips.Present || (ips.Value.ValueKind == JsonValueKind.Array && ips.Value.EnumerateArray().All(e =>
                    e.ValueKind == JsonValueKind.Object && JsonView.Get(e, "address") is { Unique: true } a && JsonView.Text(a.Value) is { } s && JsonView.IsCidr(s) && !JsonView.IsIpv4Cidr(s)))))
                why.Add("S8 prevResult has no IPv4 address to bind an EIP to");
        }
    }

    private static bool AllEndpointsAre(JsonElement root, string url)
    {
        if (JsonView.Get(root, "endpoints") is not { Unique: true } e || e.Value.ValueKind != JsonValueKind.Object) return false;
        return new[] { "vpc", "ecs", "sts", "metadata" }.All(k => JsonView.Get(e.Value, k) is { Unique: true } f && JsonView.Text(f.Value) == url);
    }

    /// <summary>Annotation values README rules out (only the clear cases; e.g. a Go duration's range is not judged).</summary>
    private static IEnumerable<string> InvalidAnnotations(Func<string, string?, string?> annotation)
    {
        if (annotation("eip-bandwidth", null) is { } bw && (!BandwidthPattern().IsMatch(bw) || BigInteger.Parse(bw) > 500))
            yield return $"eip-bandwidth `{CaseGenerator.Show(bw)}` is not an integer from 1 to 500";
        if (annotation("eip-internet-charge-type", "k8s.aliyun.com/eip-charge-type") is { } ct && !ct.Equals("PayByTraffic", StringComparison.OrdinalIgnoreCase) && !ct.Equals("PayByBandwidth", StringComparison.OrdinalIgnoreCase))
            yield return $"eip-internet-charge-type `{CaseGenerator.Show(ct)}` is not PayByTraffic or PayByBandwidth";
        if (annotation("eip-instance-charge-type", null) is { } ict && !ict.Equals("PostPaid", StringComparison.OrdinalIgnoreCase))
            yield return $"eip-instance-charge-type `{CaseGenerator.Show(ict)}` is not PostPaid";
        string[] isps = ["BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile", "ChinaTelecom_L2", "ChinaUnicom_L2", "ChinaMobile_L2", "BGP_FinanceCloud", "BGP_International"];
        if (annotation("eip-isp", null) is { } isp && !isps.Contains(isp, StringComparer.OrdinalIgnoreCase))
            yield return $"eip-isp `{CaseGenerator.Show(isp)}` is not a documented ISP";
        if (annotation("pod-eip-release-strategy", null) is { } rs && !rs.Equals("Follow", StringComparison.OrdinalIgnoreCase) && !rs.Equals("Never", StringComparison.OrdinalIgnoreCase)
            && (!GoDurationPattern().IsMatch(rs) || rs.StartsWith('-')))
            yield return $"pod-eip-release-strategy `{CaseGenerator.Show(rs)}` is not Follow, Never or a positive Go duration";
        if (annotation("pod-eip-instanceid", "k8s.aliyun.com/eci-eip-instanceid") is { Length: > 0 } id && !id.StartsWith("eip-", StringComparison.Ordinal))
            yield return $"pod-eip-instanceid `{CaseGenerator.Show(id)}` is not an eip-… ID";
        foreach (var (key, max) in new[] { ("eip-name", 128), ("eip-description", 256) })
            if (annotation(key, null) is { } text && (text.Length > max || text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
                yield return $"{key} of {text.Length} characters `{CaseGenerator.Show(text, 20)}` is over {max} or starts with http(s)://";
        if (annotation("eip-tags", null) is { } tags && !IsSmallStringMap(tags))
            yield return $"eip-tags `{CaseGenerator.Show(tags, 40)}` is not a JSON object of at most 12 string values";
    }

    private static bool IsSmallStringMap(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.EnumerateObject().Count() <= 12 && root.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.String);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Raw(JsonElement e)
    {
        var s = e.ValueKind switch { JsonValueKind.Object => "an object", JsonValueKind.Array => "an array", _ => e.GetRawText() };
        return $"`{(s.Length > 60 ? s[..60] + "…" : s)}`";
    }

    /// <summary>The spec's rule for container IDs and network names.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex SpecName();

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex ClusterIdPattern();

    [GeneratedRegex("^[1-9][0-9]*$")]
    private static partial Regex BandwidthPattern();

    [GeneratedRegex(@"^-?([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex GoDurationPattern();
}

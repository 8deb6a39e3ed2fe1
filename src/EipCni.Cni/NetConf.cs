using System.Net;
using System.Text.Json;

namespace EipCni.Cni;

/// <summary>
/// The plugin's entry in the conflist, parsed once into typed options with defaults (README, "Plugin config").
/// Unknown keys are ignored; a known key with a wrong type or value is code 7 naming the key and value.
/// </summary>
public sealed class NetConf
{
    public const string PodAnnotationsCapability = "io.kubernetes.cri.pod-annotations";

    public required string CniVersion { get; init; }
    public required string Name { get; init; }
    public string? ClusterId { get; init; }

    /// <summary>
    /// The Kubernetes node name (ACK names nodes like <c>cn-hangzhou.10.0.1.5</c>, not after the host): ownership tags
    /// and event sources use it. The agent writes it from the downward API; absent → the host name.
    /// </summary>
    public string? NodeName { get; init; }
    public string EniConfPath { get; init; } = DefaultEniConfPath;
    public string Kubeconfig { get; init; } = DefaultKubeconfig;
    public string StateDir { get; init; } = DefaultStateDir;
    public string LogFile { get; init; } = DefaultLogFile;
    public LogLevel LogLevel { get; init; } = LogLevel.Info;
    public string? RegionId { get; init; }
    public EndpointOverrides Endpoints { get; init; } = new(null, null, null, null);
    public int AddTimeoutSeconds { get; init; } = 90;
    public int DelTimeoutSeconds { get; init; } = 30;
    public int MaxConcurrentCloudCalls { get; init; } = 4;
    public IReadOnlyList<string> StatefulWorkloadKinds { get; init; } = ["StatefulSet"];

    /// <summary>prevResult exactly as received (null when absent), kept raw so it is printed back unchanged.</summary>
    public JsonElement? PrevResult { get; init; }

    /// <summary>Pod annotations handed over by the runtime (containerd), or null when it passed none.</summary>
    public IReadOnlyDictionary<string, string>? PodAnnotations { get; init; }

    /// <summary>The GC list; null when the key is absent ("no list": keep live records).</summary>
    public IReadOnlyList<ValidAttachment>? ValidAttachments { get; init; }

    public const string DefaultLogFile = "/var/log/eip-cni/eip-cni.log";

    public const string DefaultStateDir = "/var/lib/cni/eip-cni";

    /// <summary>Where Terway's eni_conf is on the host (the agent's eni_conf sync writes it there).</summary>
    public const string DefaultEniConfPath = "/etc/eni/eni.json";

    /// <summary>The plugin's kubeconfig, written by the agent next to the conflist.</summary>
    public const string DefaultKubeconfig = "/etc/cni/net.d/eip-cni.d/eip-cni.kubeconfig";

    /// <summary>Reads only cniVersion: a missing one is libcni's 0.1.0, which no chained plugin supports.</summary>
    public static string ReadVersion(JsonElement root)
    {
        if (!root.TryGetProperty("cniVersion", out var v) || v.ValueKind == JsonValueKind.Null) return "0.1.0";
        if (v.ValueKind != JsonValueKind.String)
            throw new CniException(CniCode.DecodingFailure, "cannot decode cniVersion", $"\"cniVersion\" is {JsonFields.Describe(v)}; expected a string");
        return v.GetString()!;
    }

    public static NetConf Parse(JsonElement root, CniCommand command)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new CniException(CniCode.DecodingFailure, "network configuration must be a JSON object", $"got {JsonFields.Describe(root)}");
        const string w = "";
        var version = ReadVersion(root);

        var name = JsonFields.OptionalString(root, "name", w);
        if (string.IsNullOrEmpty(name))
            throw new CniException(CniCode.InvalidConfig, "missing network name", "\"name\" is required (the runtime injects it from the conflist)");
        if (!CniInvocation.IsValidContainerId(name) || name.Length > 253)
            throw new CniException(CniCode.InvalidConfig, "invalid value for \"name\"",
                $"\"name\" is {CniInvocation.Printable(name)}; it must start with a letter or digit and contain only letters, digits, '_', '.' and '-'");

        var conf = new NetConf
        {
            CniVersion = version,
            Name = name,
            ClusterId = ClusterIdOrNull(JsonFields.OptionalString(root, "clusterId", w), "clusterId"),
            NodeName = NodeNameOrNull(JsonFields.OptionalString(root, "nodeName", w)),
            EniConfPath = Path(root, "eniConfPath") ?? DefaultEniConfPath,
            Kubeconfig = Path(root, "kubeconfig") ?? DefaultKubeconfig,
            StateDir = Path(root, "stateDir") ?? DefaultStateDir,
            LogFile = Path(root, "logFile") ?? DefaultLogFile,
            LogLevel = ParseLevel(root),
            RegionId = Region(root),
            Endpoints = ParseEndpoints(root),
            AddTimeoutSeconds = JsonFields.OptionalInt(root, "addTimeoutSeconds", w, 5, 200) ?? 90, // + up to 30 s of rollback stays under kubelet's 240 s
            DelTimeoutSeconds = JsonFields.OptionalInt(root, "delTimeoutSeconds", w, 1, 110) ?? 30,
            MaxConcurrentCloudCalls = JsonFields.OptionalInt(root, "maxConcurrentCloudCalls", w, 1, 64) ?? 4,
            StatefulWorkloadKinds = ParseKinds(root),
            PrevResult = ParsePrevResult(root, command),
            PodAnnotations = ParseAnnotations(root),
            ValidAttachments = command == CniCommand.Gc ? ParseAttachments(root) : null,
        };
        return conf;
    }

    /// <summary>Cluster IDs go into tags and file names: a conservative character set.</summary>
    public static string? ClusterIdOrNull(string? value, string key)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (value.Length > 64 || !CniInvocation.IsValidContainerId(value))
            throw new CniException(CniCode.InvalidConfig, $"invalid value for \"{key}\"",
                $"\"{key}\" is {CniInvocation.Printable(value)}; expected 1-64 letters, digits, '_', '.' or '-'");
        return value;
    }

    /// <summary>A node name is a DNS-1123 subdomain (at most 253 characters of lower-case labels joined by dots).</summary>
    private static string? NodeNameOrNull(string? value)
    {
        if (value is null) return null;
        var labels = value.Split('.');
        if (value.Length is 0 or > 253 || labels.Any(l => l.Length is 0 or > 63 || !char.IsAsciiLetterLower(l[0]) && !char.IsAsciiDigit(l[0])
                || !char.IsAsciiLetterLower(l[^1]) && !char.IsAsciiDigit(l[^1]) || l.Any(c => !char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')))
            throw new CniException(CniCode.InvalidConfig, "invalid value for \"nodeName\"",
                $"\"nodeName\" is {CniInvocation.Printable(value)}; expected a Kubernetes node name (a DNS-1123 subdomain)");
        return value;
    }

    private static string? Path(JsonElement root, string key)
    {
        var p = JsonFields.OptionalString(root, key, "");
        if (p is null) return null;
        if (p.Length == 0 || !System.IO.Path.IsPathRooted(p) || p.Contains('\0'))
            throw new CniException(CniCode.InvalidConfig, $"invalid value for \"{key}\"", $"\"{key}\" is {CniInvocation.Printable(p)}; expected an absolute path");
        return p;
    }

    private static LogLevel ParseLevel(JsonElement root)
    {
        var s = JsonFields.OptionalString(root, "logLevel", "");
        return s switch
        {
            null or "info" => LogLevel.Info,
            "debug" => LogLevel.Debug,
            "warn" or "warning" => LogLevel.Warn,
            "error" => LogLevel.Error,
            _ => throw new CniException(CniCode.InvalidConfig, "invalid value for \"logLevel\"",
                $"\"logLevel\" is {CniInvocation.Printable(s)}; expected debug, info, warn or error"),
        };
    }

    private static string? Region(JsonElement root)
    {
        var r = JsonFields.OptionalString(root, "regionId", "");
        if (string.IsNullOrEmpty(r)) return null;
        if (r.Length > 64 || !r.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            throw new CniException(CniCode.InvalidConfig, "invalid value for \"regionId\"",
                $"\"regionId\" is {CniInvocation.Printable(r)}; expected a region ID such as cn-hangzhou");
        return r;
    }

    private static EndpointOverrides ParseEndpoints(JsonElement root)
    {
        var obj = JsonFields.OptionalObject(root, "endpoints", "");
        if (obj is null) return new(null, null, null, null);
        Uri? One(string key)
        {
            var s = JsonFields.OptionalString(obj.Value, key, "endpoints.");
            if (string.IsNullOrEmpty(s)) return null;
            return ValidateEndpoint(s, "endpoints." + key);
        }
        return new(One("vpc"), One("ecs"), One("sts"), One("metadata"));
    }

    /// <summary>Checked here, once, with the same rule the cloud client applies (<see cref="EndpointRule"/>).</summary>
    public static Uri ValidateEndpoint(string value, string key)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
            throw new CniException(CniCode.InvalidConfig, $"invalid value for \"{key}\"", $"\"{key}\" is {CniInvocation.Printable(value)}; expected an http(s) URL");
        if (EndpointRule.Problem(uri, key) is { } problem)
            throw new CniException(CniCode.InvalidConfig, $"invalid value for \"{key}\"", $"\"{key}\" is {CniInvocation.Printable(value)}; {problem}");
        return uri;
    }

    private static IReadOnlyList<string> ParseKinds(JsonElement root)
    {
        if (!root.TryGetProperty("statefulWorkloadKinds", out var v) || v.ValueKind == JsonValueKind.Null) return ["StatefulSet"];
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(e.GetString())))
            throw JsonFields.WrongType("statefulWorkloadKinds", v, "an array of kind names such as [\"StatefulSet\"]");
        return v.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private static JsonElement? ParsePrevResult(JsonElement root, CniCommand command)
    {
        if (!root.TryGetProperty("prevResult", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object)
        {
            // DEL must never fail because of what the runtime cached; a broken prevResult is simply ignored there.
            if (command == CniCommand.Del) return null;
            throw JsonFields.WrongType("prevResult", v, "the previous plugin's result object");
        }
        return v;
    }

    private static IReadOnlyDictionary<string, string>? ParseAnnotations(JsonElement root)
    {
        var rc = JsonFields.OptionalObject(root, "runtimeConfig", "");
        if (rc is null) return null;
        var ann = JsonFields.OptionalObject(rc.Value, PodAnnotationsCapability, "runtimeConfig.");
        if (ann is null) return null;
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in ann.Value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw JsonFields.WrongType($"runtimeConfig.{PodAnnotationsCapability}.{p.Name}", p.Value, "a string (annotation values are strings)");
            dict[p.Name] = p.Value.GetString()!;
        }
        return dict;
    }

    private static IReadOnlyList<ValidAttachment>? ParseAttachments(JsonElement root)
    {
        // libcni sends both names; the spec text changed between them.
        string key = "cni.dev/valid-attachments";
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            key = "cni.dev/attachments";
            if (!root.TryGetProperty(key, out v) || v.ValueKind == JsonValueKind.Null) return null;
        }
        if (v.ValueKind != JsonValueKind.Array) throw JsonFields.WrongType(key, v, "an array of {containerID, ifname}");
        var list = new List<ValidAttachment>();
        var i = 0;
        foreach (var e in v.EnumerateArray())
        {
            var at = $"{key}[{i++}].";
            if (e.ValueKind != JsonValueKind.Object) throw JsonFields.WrongType(at.TrimEnd('.'), e, "an object {containerID, ifname}");
            var id = JsonFields.OptionalString(e, "containerID", at);
            var ifName = JsonFields.OptionalString(e, "ifname", at);
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(ifName))
                throw new CniException(CniCode.InvalidConfig, $"invalid value for \"{at.TrimEnd('.')}\"", "each attachment needs a non-empty containerID and ifname");
            list.Add(new ValidAttachment(id, ifName));
        }
        return list;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using EipCni.Cni;

namespace EipCni.Node;

/// <summary>
/// What the agent knows of the node, read the way the plugin reads it: the eip-cni entry of the conflist the runtime
/// loads (with the conflist's name and cniVersion, as libcni hands them to the plugin), and eni_conf.
/// </summary>
public sealed record AgentConfig(NetConf Plugin, EniConf EniConf, string ClusterId, string NodeName, string Source)
{
    public const string PluginType = "eip-cni";
    public const string DefaultConfDir = "/etc/cni/net.d";

    /// <summary>
    /// Reads <paramref name="confFile"/> (a .conflist or .conf), or else the first file of <paramref name="confDir"/>
    /// (in name order, as the runtime picks) with an eip-cni entry. The node name: <paramref name="nodeName"/>, the
    /// entry's <c>nodeName</c>, <c>NODE_NAME</c> (the DaemonSet's downward API), the host name. Fails with a
    /// <see cref="CniException"/> saying what is missing or wrong.
    /// </summary>
    public static AgentConfig Load(string? confFile, string confDir = DefaultConfDir, string? nodeName = null, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var (entry, source) = confFile is not null
            ? (FindEntry(confFile) ?? throw new CniException(CniCode.InvalidConfig, $"{confFile} has no \"{PluginType}\" plugin"), confFile)
            : FromDirectory(confDir);
        var plugin = ParseEntry(entry);
        var node = nodeName ?? plugin.NodeName ?? (env("NODE_NAME") is { Length: > 0 } fromEnv ? fromEnv : Environment.MachineName);
        return WithEniConf(plugin, node, source);
    }

    /// <summary>
    /// What <c>eip-cni-agent run</c> works with: the JSON object of eip-cni's entry (install's <c>--plugin-config</c>),
    /// parsed as the plugin parses it, and the eni_conf of the moment. Read afresh for every node GC pass and every
    /// leadership, so an eni_conf that the sync writes after start, or a rotated AccessKey in it, is picked up.
    /// </summary>
    public static AgentConfig FromPluginConfig(string? pluginConfigPath, string nodeName)
    {
        var entry = PluginEntry.ReadPluginConfig(pluginConfigPath) ?? new JsonObject();
        entry["cniVersion"] = "1.0.0";
        entry["name"] = "eip-cni-agent";
        entry["type"] = PluginType;
        return WithEniConf(ParseEntry(entry), nodeName, pluginConfigPath ?? "the default plugin config");
    }

    private static NetConf ParseEntry(JsonObject entry)
    {
        using var doc = JsonDocument.Parse(entry.ToJsonString());
        return NetConf.Parse(doc.RootElement.Clone(), CniCommand.Gc);
    }

    private static AgentConfig WithEniConf(NetConf plugin, string nodeName, string source)
    {
        var eniConf = EniConf.Load(plugin.EniConfPath, out _);
        var clusterId = plugin.ClusterId ?? NetConf.ClusterIdOrNull(eniConf.ClusterId, "eni_conf.cluster_id")
            ?? throw new CniException(CniCode.InvalidConfig, "clusterId is not configured",
                $"set \"clusterId\" in the eip-cni entry of {source} or cluster_id in eni_conf: it scopes the ownership tags");
        return new AgentConfig(plugin, eniConf, clusterId, nodeName, source);
    }

    private static (JsonObject, string) FromDirectory(string confDir)
    {
        if (!Directory.Exists(confDir)) throw new CniException(CniCode.IoFailure, $"the CNI config directory {confDir} does not exist");
        foreach (var file in Directory.GetFiles(confDir).Where(f => f.EndsWith(".conflist", StringComparison.Ordinal)
                     || f.EndsWith(".conf", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try
            {
                if (FindEntry(file) is { } entry) return (entry, file);
            }
            catch (CniException)
            {
                // Another plugin's file the agent cannot read as JSON: not ours to judge.
            }
        }
        throw new CniException(CniCode.InvalidConfig, $"no CNI config in {confDir} has an \"{PluginType}\" plugin",
            "install the plugin (eip-cni-agent install), or name the file with --config");
    }

    /// <summary>The eip-cni entry with the list's name and cniVersion, or null when the file has none.</summary>
    private static JsonObject? FindEntry(string file)
    {
        byte[] bytes;
        try
        {
            bytes = ConfigFile.Read(file, ConfigFile.ConfigLimit) ?? throw new CniException(CniCode.IoFailure, $"{file} does not exist");
        }
        catch (ConfigFileException e)
        {
            throw new CniException(CniCode.InvalidConfig, $"{file} is unusable", e.Message);
        }
        catch (IOException e)
        {
            throw new CniException(CniCode.IoFailure, $"cannot read {file}", e.Message);
        }
        JsonObject root;
        try
        {
            root = JsonNode.Parse(bytes) as JsonObject ?? throw new CniException(CniCode.InvalidConfig, $"{file} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CniException(CniCode.DecodingFailure, $"{file} is not valid JSON", e.Message);
        }
        if (IsOurs(root)) return root;
        if (root["plugins"] is not JsonArray plugins || plugins.OfType<JsonObject>().FirstOrDefault(IsOurs) is not { } plugin) return null;
        var entry = (JsonObject)plugin.DeepClone();
        entry["name"] = root["name"]?.DeepClone();
        entry["cniVersion"] = root["cniVersion"]?.DeepClone();
        return entry;
    }

    private static bool IsOurs(JsonObject o) => o["type"] is JsonValue v && v.TryGetValue<string>(out var t) && t == PluginType;
}

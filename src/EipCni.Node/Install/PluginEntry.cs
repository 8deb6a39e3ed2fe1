using System.Text.Json;
using System.Text.Json.Nodes;
using EipCni.Cni;

namespace EipCni.Node;

/// <summary>The eip-cni entry of the chain: <c>{"type":"eip-cni", the plugin config's keys, "capabilities":{...}}</c>.</summary>
public static class PluginEntry
{
    public const string Type = "eip-cni";

    /// <summary>Keys install decides itself: the plugin config's values for them are not used.</summary>
    /// <remarks>
    /// <c>type</c> and <c>capabilities</c> are overridden; <c>name</c> and <c>cniVersion</c> are dropped because the runtime
    /// injects the list's own into every plugin's config (libcni <c>buildOneConfig</c>), so a value here would only mislead.
    /// </remarks>
    private static readonly string[] Reserved = ["type", "capabilities", "name", "cniVersion"];

    public static bool IsEipCni(JsonNode? plugin) => plugin is JsonObject obj && ConfJson.StringOf(obj, "type") == Type;

    /// <summary>The JSON object in <c>--plugin-config</c>; null when no file is named. Anything else is refused.</summary>
    public static JsonObject? ReadPluginConfig(string? path)
    {
        if (path is null) return null;
        byte[]? bytes;
        try
        {
            bytes = ConfigFile.Read(path, ConfigFile.ConfigLimit); // follows links: a ConfigMap volume publishes through ..data
        }
        catch (IOException e)
        {
            throw new InstallRefusedException($"cannot read the plugin config {path}: {e.Message}");
        }
        if (bytes is null) throw new InstallRefusedException($"the plugin config {path} does not exist");
        try
        {
            return ConfJson.ParseObject(bytes, path);
        }
        catch (InstallRefusedException e)
        {
            throw new InstallRefusedException($"the plugin config must be one JSON object (the keys of eip-cni's entry): {e.Message}");
        }
    }

    /// <summary>
    /// The entry to install: <c>type</c> first, then the keys of <paramref name="pluginConfig"/> (or, without one, of the
    /// <paramref name="present"/> entry, so that an install without a plugin config never loses a clusterId), with
    /// <c>nodeName</c> set when given, then <c>capabilities</c> with the pod-annotations capability only.
    /// </summary>
    public static JsonObject Build(JsonObject? pluginConfig, JsonObject? present, string? nodeName)
    {
        var entry = new JsonObject { ["type"] = Type };
        var source = pluginConfig ?? present;
        if (source is not null)
        {
            foreach (var (key, value) in source)
            {
                if (Array.IndexOf(Reserved, key) >= 0) continue;
                entry[key] = key == "nodeName" && nodeName is not null ? nodeName : value?.DeepClone();
            }
        }
        if (nodeName is not null) entry["nodeName"] = nodeName;
        entry["capabilities"] = new JsonObject { [NetConf.PodAnnotationsCapability] = true };
        return entry;
    }

    /// <summary>
    /// Refuses an entry the plugin would refuse on every call (and so fail every pod on the node, not only those asking
    /// for an EIP): parsed with the plugin's own parser, with the list's name and cniVersion injected as the runtime does.
    /// </summary>
    public static void Check(JsonObject entry, string name, string cniVersion, string configPath)
    {
        try
        {
            Parse(entry, name, cniVersion);
        }
        catch (CniException e)
        {
            throw new InstallRefusedException($"eip-cni would fail every call with this entry in {configPath}: {e.Message}"
                + (e.Details.Length > 0 ? $": {e.Details}" : ""));
        }
    }

    /// <summary>The entry as the plugin reads it: the list's name and cniVersion injected as the runtime does. Throws <see cref="CniException"/>.</summary>
    public static NetConf Parse(JsonObject entry, string name, string cniVersion)
    {
        var probe = new JsonObject { ["cniVersion"] = cniVersion, ["name"] = name };
        foreach (var (key, value) in entry)
            if (key is not ("cniVersion" or "name")) probe[key] = value?.DeepClone();
        using var doc = JsonDocument.Parse(ConfJson.Serialize(probe));
        return NetConf.Parse(doc.RootElement, CniCommand.Status);
    }
}

using System.Text.Json.Nodes;
using EipCni.Cni;

namespace EipCni.Node;

/// <summary>
/// What install will do to the conf dir, decided from what is there before anything is written: nothing, rewrite the
/// active conflist, or convert the active single-plugin <c>.conf</c>/<c>.json</c> into a conflist. A config the runtime
/// itself could not load, or one eip-cni could not run in, is refused here.
/// </summary>
internal sealed class ChainEdit
{
    /// <summary>A converted <c>X.conf</c> is kept as <c>X.conf.eip-cni-backup</c>: an extension no runtime loads.</summary>
    public const string BackupSuffix = ".eip-cni-backup";

    private Action? _apply;

    private ChainEdit(string activeAfter, InstallChange? change)
    {
        ActiveAfter = activeAfter;
        Change = change;
    }

    /// <summary>The file the runtime loads once the edit is applied.</summary>
    public string ActiveAfter { get; }

    /// <summary>Null: the active config already has the wanted entry, last, once; nothing will be written.</summary>
    public InstallChange? Change { get; }

    public void Apply() => _apply?.Invoke();

    public static ChainEdit Plan(string confDir, JsonObject? pluginConfig, string? nodeName)
    {
        var files = ConfDir.LoadableFiles(confDir);
        if (files.Count == 0)
            throw new InstallRefusedException(Directory.Exists(confDir)
                ? $"no CNI config in {confDir} (no *.conflist, *.conf or *.json file): the primary plugin (Terway) has not written its config yet, and eip-cni can only be chained after it"
                : $"the CNI config directory {confDir} does not exist");
        var activeName = files[0];
        var active = Path.Combine(confDir, activeName);
        var root = ConfJson.ReadObject(active, out var mode);
        return Path.GetExtension(activeName) == ".conflist"
            ? PlanList(active, root, mode, pluginConfig, nodeName)
            : PlanConversion(confDir, files, active, root, mode, pluginConfig, nodeName);
    }

    private static ChainEdit PlanList(string path, JsonObject list, uint mode, JsonObject? pluginConfig, string? nodeName)
    {
        var (name, cniVersion) = Header(list, path, isList: true);
        if (!list.TryGetPropertyValue("plugins", out var pluginsNode) || pluginsNode is not JsonArray plugins)
            throw new InstallRefusedException(pluginsNode is null
                ? $"{path} has no \"plugins\" list (containerd's libcni requires one)"
                : $"{path}: \"plugins\" is {ConfJson.Describe(pluginsNode)}, not a list");
        if (plugins.Count == 0) throw new InstallRefusedException($"{path}: the \"plugins\" list is empty (the runtime refuses it)");
        for (var i = 0; i < plugins.Count; i++)
        {
            if (plugins[i] is not JsonObject plugin)
                throw new InstallRefusedException($"{path}: plugin {i + 1} is {ConfJson.Describe(plugins[i])}, not an object (the runtime refuses the list)");
            if (string.IsNullOrEmpty(ConfJson.StringOf(plugin, "type")))
                throw new InstallRefusedException($"{path}: plugin {i + 1} has no \"type\" (the runtime refuses the list)");
        }

        var present = plugins.Select((p, i) => (Plugin: (JsonObject)p!, Index: i)).Where(p => PluginEntry.IsEipCni(p.Plugin)).ToList();
        if (present.Count == plugins.Count)
            throw new InstallRefusedException($"{path} holds eip-cni alone: it is a chained plugin and needs the primary plugin (Terway) before it");
        var wanted = PluginEntry.Build(pluginConfig, present.LastOrDefault().Plugin, nodeName);
        PluginEntry.Check(wanted, name, cniVersion, path);

        if (present.Count == 1 && present[0].Index == plugins.Count - 1 && JsonNode.DeepEquals(present[0].Plugin, wanted))
            return new ChainEdit(path, null);

        var count = plugins.Count - present.Count + 1;
        var description = present switch
        {
            [] => $"added eip-cni to {path} as the last of {count} plugins",
            [var one] when one.Index == plugins.Count - 1 => $"updated the eip-cni entry (the last of {count} plugins) in {path}",
            [var one] => $"moved the eip-cni entry of {path} from plugin {one.Index + 1} to the last of {count}"
                + (JsonNode.DeepEquals(one.Plugin, wanted) ? "" : ", updated"),
            _ => $"replaced the {present.Count} eip-cni entries of {path} by one, the last of {count} plugins",
        };

        for (var i = present.Count - 1; i >= 0; i--) plugins.RemoveAt(present[i].Index);
        plugins.Add((JsonNode)wanted);
        var content = ConfJson.Serialize(list);
        return new ChainEdit(path, new InstallChange(InstallChangeKind.EntryWritten, path, description))
        {
            _apply = () => AtomicFile.Write(path, content, (UnixFileMode)mode),
        };
    }

    /// <summary>
    /// A single-plugin file becomes <c>X.conflist</c> = what libcni's <c>ConfListFromConf</c> makes of it (the list's name
    /// and cniVersion are the plugin's; the plugin object is kept whole) plus eip-cni last. The conflist is written
    /// first (the original, sorting before it, is still what the runtime loads), then the original is renamed to
    /// <c>X.conf.eip-cni-backup</c> — the one event that switches the runtime over, and byte for byte what uninstall renames back.
    /// </summary>
    private static ChainEdit PlanConversion(string confDir, List<string> files, string path, JsonObject conf, uint mode,
        JsonObject? pluginConfig, string? nodeName)
    {
        var type = ConfJson.StringOf(conf, "type");
        if (string.IsNullOrEmpty(type))
            throw new InstallRefusedException(conf.ContainsKey("plugins")
                ? $"{path} holds a plugin list, but the runtime reads a {Path.GetExtension(path)} file as one plugin and refuses it (\"network type not found\"); rename it to .conflist"
                : $"{path} has no \"type\" (the runtime refuses it)");
        if (type == PluginEntry.Type)
            throw new InstallRefusedException($"{path} holds eip-cni alone: it is a chained plugin and needs the primary plugin (Terway) before it");
        var (name, cniVersion) = Header(conf, path, isList: false);

        var conflistName = Path.GetFileNameWithoutExtension(path) + ".conflist";
        var conflist = Path.Combine(confDir, conflistName);
        var backup = path + BackupSuffix;
        if (File.Exists(conflist) && !File.Exists(backup))
            throw new InstallRefusedException($"cannot convert {path} into a conflist: {conflist} exists and eip-cni-agent did not write it (there is no {Path.GetFileName(backup)})");
        var after = files.Where(f => f != Path.GetFileName(path)).Append(conflistName).Distinct().Order(Comparer<string>.Create(ConfDir.CompareAsGo)).ToList();
        if (after[0] != conflistName)
            throw new InstallRefusedException($"cannot convert {path} into a conflist: {conflistName} would sort after {after[0]}, which the runtime would then load instead");

        var wanted = PluginEntry.Build(pluginConfig, null, nodeName);
        PluginEntry.Check(wanted, name, cniVersion, path);
        var list = new JsonObject
        {
            ["cniVersion"] = cniVersion,
            ["name"] = name,
            ["plugins"] = new JsonArray(conf, wanted),
        };
        var content = ConfJson.Serialize(list);
        var change = new InstallChange(InstallChangeKind.ConfConverted, path,
            $"converted {path} into {conflist} with eip-cni after {type}; the original is kept as {Path.GetFileName(backup)} for uninstall");
        return new ChainEdit(conflist, change)
        {
            _apply = () =>
            {
                AtomicFile.Write(conflist, content, (UnixFileMode)mode);
                AtomicFile.Rename(path, backup);
            },
        };
    }

    /// <summary>
    /// The list's name and cniVersion as the runtime reads them. eip-cni refuses every call of a version it does not
    /// speak (0.1.0 and 0.2.0 cannot chain; an absent cniVersion is 0.1.0 to libcni) and a name that is not a CNI
    /// network name, so such a config is refused here rather than failing every pod of the node.
    /// </summary>
    internal static (string Name, string CniVersion) Header(JsonObject obj, string path, bool isList)
    {
        if (!obj.TryGetPropertyValue("name", out var nameNode) || nameNode is null)
            throw new InstallRefusedException(isList ? $"{path} has no \"name\" (the runtime refuses the list)" : $"{path} has no \"name\"");
        var name = ConfJson.StringOf(obj, "name") ?? throw new InstallRefusedException($"{path}: \"name\" is {ConfJson.Describe(nameNode)}, not a string");
        obj.TryGetPropertyValue("cniVersion", out var versionNode);
        var cniVersion = ConfJson.StringOf(obj, "cniVersion");
        if (cniVersion is null || !CniVersion.IsSupported(cniVersion))
            throw new InstallRefusedException($"{path}: cniVersion is {(cniVersion is not null ? $"\"{cniVersion}\"" : versionNode is null ? "absent" : ConfJson.Describe(versionNode))}; eip-cni "
                + $"speaks {string.Join(", ", CniVersion.Supported)} and would fail every call of this network");
        return (name, cniVersion);
    }
}

using System.Text.Json.Nodes;
using EipCni.Cni;

namespace EipCni.Node;

/// <summary>
/// eip-cni as this node's runtime sees it: the active config of the conf dir (<see cref="ConfDir"/>) and its eip-cni
/// entry, parsed with the plugin's own parser. What the operator commands read the plugin config from.
/// </summary>
public sealed record NodeChain(string ActiveConfig, int Position, int PluginCount, NetConf Conf)
{
    /// <summary>True when eip-cni is the last plugin of the active config (it must run after the primary plugin).</summary>
    public bool IsLast => Position == PluginCount;

    /// <summary>Reads the active config; throws <see cref="NodeChainException"/> saying what is missing or wrong.</summary>
    public static NodeChain Read(string confDir)
    {
        var files = ConfDir.LoadableFiles(confDir);
        if (files.Count == 0)
            throw new NodeChainException(Directory.Exists(confDir)
                ? $"no CNI config in {confDir} (no *.conflist, *.conf or *.json file)"
                : $"the CNI config directory {confDir} does not exist");
        var path = Path.Combine(confDir, files[0]);
        try
        {
            var root = ConfJson.ReadObject(path, out _);
            if (Path.GetExtension(path) != ".conflist")
                throw new NodeChainException($"the active config {path} is a single plugin ({ConfJson.StringOf(root, "type") ?? "no type"}): eip-cni is not in it");
            var (name, cniVersion) = ChainEdit.Header(root, path, isList: true);
            var plugins = root["plugins"] as JsonArray ?? throw new NodeChainException($"{path} has no \"plugins\" list");
            var index = -1;
            for (var i = 0; i < plugins.Count; i++)
                if (PluginEntry.IsEipCni(plugins[i])) index = i;
            if (index < 0) throw new NodeChainException($"the active config {path} has no eip-cni entry");
            return new NodeChain(path, index + 1, plugins.Count, PluginEntry.Parse((JsonObject)plugins[index]!, name, cniVersion));
        }
        catch (InstallRefusedException e)
        {
            throw new NodeChainException(e.Message);
        }
        catch (IOException e)
        {
            throw new NodeChainException($"cannot read {path}: {e.Message}");
        }
        catch (CniException e)
        {
            throw new NodeChainException($"the eip-cni entry of {path} is refused by the plugin: {e.Message}" + (e.Details.Length > 0 ? $": {e.Details}" : ""));
        }
    }
}

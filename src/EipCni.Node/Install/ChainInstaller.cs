using System.Text.Json.Nodes;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.State;

namespace EipCni.Node;

/// <summary>
/// Puts eip-cni on the node and takes it off again: both binaries in the CNI bin dir and the eip-cni entry last in the
/// config the runtime loads (<c>eip-cni-agent install</c>/<c>uninstall</c>, and the run mode on every change of the conf
/// dir). Idempotent and cheap when there is nothing to do: a no-op reads the active config and stats the binaries (their
/// bytes are compared once per instance, then remembered by inode and times) and writes nothing, so the run mode never
/// reacts to its own writes. One caller at a time.
/// </summary>
/// <remarks>
/// Order matters to a runtime that may start a pod at any moment: <c>eip-cni-agent</c> before <c>eip-cni</c> (which execs
/// it), both before the config names them; on uninstall the config first, then the binaries. Every decision is taken
/// before the first write, so a refused install writes nothing at all.
/// </remarks>
public sealed class ChainInstaller
{
    /// <summary>In the order they are installed.</summary>
    public static readonly string[] Binaries = ["eip-cni-agent", "eip-cni"];

    private readonly BinaryCopies _copies = new();

    public InstallOutcome Install(InstallOptions options)
    {
        var pluginConfig = PluginEntry.ReadPluginConfig(options.PluginConfigPath);
        foreach (var binary in Binaries)
        {
            var source = Path.Combine(options.SourceDir, binary);
            if (!File.Exists(source))
                throw new InstallRefusedException($"{binary} is not in {options.SourceDir}: install copies both binaries from the directory of the running eip-cni-agent");
        }
        if (!Directory.Exists(options.CniBinDir)) throw new InstallRefusedException($"the CNI bin directory {options.CniBinDir} does not exist");
        var edit = ChainEdit.Plan(options.CniConfDir, pluginConfig, options.NodeName);

        var changes = new List<InstallChange>();
        foreach (var binary in Binaries)
        {
            var source = Path.Combine(options.SourceDir, binary);
            var target = Path.Combine(options.CniBinDir, binary);
            if (_copies.Ensure(source, target))
                changes.Add(new InstallChange(InstallChangeKind.BinaryCopied, target, $"copied {source} to {target}"));
        }
        edit.Apply();
        if (edit.Change is { } change) changes.Add(change);
        return new InstallOutcome(changes, []) { ActiveConfig = edit.ActiveAfter };
    }

    /// <summary>
    /// Removes every eip-cni entry from the conflists of the conf dir (a converted <c>.conf</c> is renamed back), then both
    /// binaries. What it cannot parse it leaves alone with a warning; a second call finds nothing to do.
    /// </summary>
    public InstallOutcome Uninstall(UninstallOptions options)
    {
        var changes = new List<InstallChange>();
        var warnings = new List<string>();
        var stateDirs = new SortedSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(options.CniConfDir))
        {
            RestoreConversions(options.CniConfDir, changes, warnings, stateDirs);
            foreach (var name in ConfDir.LoadableFiles(options.CniConfDir).Where(n => Path.GetExtension(n) == ".conflist"))
                RemoveEntries(Path.Combine(options.CniConfDir, name), changes, warnings, stateDirs);
        }
        foreach (var binary in Binaries.Reverse())
        {
            var target = Path.Combine(options.CniBinDir, binary);
            _copies.Forget(target);
            if (AtomicFile.Remove(target)) changes.Add(new InstallChange(InstallChangeKind.BinaryRemoved, target, $"removed {target}"));
        }
        WarnAboutRecords(stateDirs, warnings);
        return new InstallOutcome(changes, warnings);
    }

    /// <summary>
    /// A journal record left behind is an attachment eip-cni did not finish with: a pod that was not deleted before
    /// uninstall, whose DEL will no longer run eip-cni, so its EIP stays bound, or an EIP kept on purpose (README.md,
    /// "Install on ACK": Uninstall). Said, not refused: uninstall is also how a broken install is taken off a node.
    /// </summary>
    private static void WarnAboutRecords(IEnumerable<string> stateDirs, List<string> warnings)
    {
        foreach (var stateDir in stateDirs)
        {
            try
            {
                foreach (var network in Journal.Networks(stateDir))
                {
                    var journal = new Journal(stateDir, network);
                    if (journal.HasRecords())
                        warnings.Add($"{journal.Directory} still holds journal records: EIPs eip-cni did not finish with (of pods not deleted "
                            + $"before uninstall, whose DEL no longer runs eip-cni, or kept by a release strategy) stay allocated; find them by the tag {OwnershipTags.Cluster}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warnings.Add($"cannot look for journal records left in {stateDir}: {e.Message}");
            }
        }
    }

    /// <summary>The state dirs the eip-cni entries of a list name, where their journals are.</summary>
    private static IEnumerable<string> StateDirs(JsonArray plugins) =>
        plugins.Where(PluginEntry.IsEipCni).Select(p => ConfJson.StringOf((JsonObject)p!, "stateDir") ?? NetConf.DefaultStateDir);

    /// <summary>
    /// <c>X.conf.eip-cni-backup</c> is renamed back to <c>X.conf</c> (which sorts before <c>X.conflist</c>, so the runtime
    /// switches back at that rename), then the <c>X.conflist</c> install made is removed. When <c>X.conf</c> exists again
    /// (its owner rewrote it since), that newer file wins and the backup is dropped.
    /// </summary>
    private static void RestoreConversions(string confDir, List<InstallChange> changes, List<string> warnings, ISet<string> stateDirs)
    {
        foreach (var backup in Directory.EnumerateFiles(confDir, "*" + ChainEdit.BackupSuffix).Order(StringComparer.Ordinal))
        {
            var original = backup[..^ChainEdit.BackupSuffix.Length];
            var conflist = Path.Combine(confDir, Path.GetFileNameWithoutExtension(original) + ".conflist");
            string description;
            if (File.Exists(original))
            {
                AtomicFile.Remove(backup);
                description = $"kept {original} (rewritten since install), removed {backup}";
            }
            else
            {
                AtomicFile.Rename(backup, original);
                description = $"restored {original}";
            }
            if (EipCniEntries(conflist, warnings) is { Count: > 0 } entries)
            {
                stateDirs.UnionWith(StateDirs(entries));
                AtomicFile.Remove(conflist);
                description += $" and removed {conflist}";
            }
            changes.Add(new InstallChange(InstallChangeKind.ConfRestored, original, description));
        }
    }

    private static void RemoveEntries(string path, List<InstallChange> changes, List<string> warnings, ISet<string> stateDirs)
    {
        JsonObject list;
        uint mode;
        try
        {
            list = ConfJson.ReadObject(path, out mode);
        }
        catch (InstallRefusedException e)
        {
            warnings.Add($"left {path} alone: {e.Message}");
            return;
        }
        if (!list.TryGetPropertyValue("plugins", out var node) || node is not JsonArray plugins) return;
        var ours = Enumerable.Range(0, plugins.Count).Where(i => PluginEntry.IsEipCni(plugins[i])).ToList();
        if (ours.Count == 0) return;
        stateDirs.UnionWith(StateDirs(plugins));
        if (ours.Count == plugins.Count)
        {
            warnings.Add($"left {path} alone: eip-cni is its only plugin, and a list without plugins is refused by the runtime");
            return;
        }
        for (var i = ours.Count - 1; i >= 0; i--) plugins.RemoveAt(ours[i]);
        AtomicFile.Write(path, ConfJson.Serialize(list), (UnixFileMode)mode);
        changes.Add(new InstallChange(InstallChangeKind.EntryRemoved, path, $"removed eip-cni from {path}"));
    }

    /// <summary>The plugins list of a conflist when it holds an eip-cni entry; empty otherwise (and when it cannot be read).</summary>
    private static JsonArray EipCniEntries(string path, List<string> warnings)
    {
        if (!File.Exists(path)) return [];
        try
        {
            return ConfJson.ReadObject(path, out _)["plugins"] is JsonArray plugins && plugins.Any(PluginEntry.IsEipCni) ? plugins : [];
        }
        catch (InstallRefusedException e)
        {
            warnings.Add($"left {path} alone: {e.Message}");
            return [];
        }
    }
}

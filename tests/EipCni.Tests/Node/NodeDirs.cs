using System.Text.Json.Nodes;
using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>A scratch node for install tests: the agent's own directory with two small stand-in binaries, a bin dir, a conf dir.</summary>
public sealed class NodeDirs : IDisposable
{
    private readonly TempDir _root = new("eipcni-node");

    public NodeDirs()
    {
        Directory.CreateDirectory(SourceDir);
        Directory.CreateDirectory(BinDir);
        Directory.CreateDirectory(ConfDir);
        File.WriteAllText(Path.Combine(SourceDir, "eip-cni"), "#!/bin/sh\necho eip-cni stand-in\n");
        File.WriteAllText(Path.Combine(SourceDir, "eip-cni-agent"), "#!/bin/sh\necho eip-cni-agent stand-in\n");
    }

    /// <summary>tests/EipCni.Tests/Golden/confdirs: one directory per case, and the plugin config they all use.</summary>
    public static string Cases => Path.Combine(Repo.Root, "tests", "EipCni.Tests", "Golden", "confdirs");

    public const string NodeName = "cn-hangzhou.10.0.1.5";

    public string Root => _root.Path;

    public string SourceDir => Path.Combine(_root.Path, "agent");

    public string BinDir => Path.Combine(_root.Path, "bin");

    public string ConfDir => Path.Combine(_root.Path, "net.d");

    public string Conf(string name) => Path.Combine(ConfDir, name);

    public InstallOptions Options(string? pluginConfig = "default") => new()
    {
        CniBinDir = BinDir,
        CniConfDir = ConfDir,
        PluginConfigPath = pluginConfig == "default" ? Path.Combine(Cases, "plugin.json") : pluginConfig,
        NodeName = NodeName,
        SourceDir = SourceDir,
    };

    public UninstallOptions UninstallOptions() => new() { CniBinDir = BinDir, CniConfDir = ConfDir };

    /// <summary>Writes a file into the conf dir.</summary>
    public string WriteConf(string name, string content)
    {
        File.WriteAllText(Conf(name), content);
        return Conf(name);
    }

    public static void CopyDir(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    /// <summary>Every entry of a directory (hidden ones included) with its inode, times and bytes: equal snapshots mean nothing was written.</summary>
    public static SortedDictionary<string, string> Snapshot(string dir)
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(dir))
        {
            Assert.Equal(0, Libc.lstat(path, out var st));
            snapshot[Path.GetFileName(path)] = $"ino={st.st_ino} mtime={st.st_mtim.tv_sec}.{st.st_mtim.tv_nsec} ctime={st.st_ctim.tv_sec}.{st.st_ctim.tv_nsec} mode={Libc.Octal(Libc.Mode(st))} "
                + Convert.ToHexString(File.ReadAllBytes(path));
        }
        return snapshot;
    }

    public static JsonNode Json(string path) => JsonNode.Parse(File.ReadAllBytes(path))!;

    public void Dispose() => _root.Dispose();
}

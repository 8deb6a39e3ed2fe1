using System.Text.Json;
using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Cni;

/// <summary>A scratch world for one plugin call: eni_conf, state dir and log file in a temp dir.</summary>
public sealed class PluginWorld : IDisposable
{
    private readonly TempDir _dir = new("eipcni-golden");

    public string EniConfPath => _dir.File("eni.json");
    public string StateDir => _dir.File("state");
    public string LogFile => _dir.File("eip-cni.log");
    public string Dir => _dir.Path;

    public string KubeconfigPath => _dir.File("kubeconfig");
    private bool _kubeconfig;

    /// <summary>A kubeconfig that loads (nothing listens at its server: STATUS and the local checks never connect).</summary>
    public PluginWorld WithKubeconfig()
    {
        File.WriteAllText(KubeconfigPath, """
            {"apiVersion":"v1","kind":"Config","current-context":"c",
             "clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:6443"}}],
             "contexts":[{"name":"c","context":{"cluster":"c","user":"u"}}],
             "users":[{"name":"u","user":{"token":"t0ken"}}]}
            """);
        _kubeconfig = true;
        return this;
    }

    public PluginWorld WithEniConf(string json)
    {
        File.WriteAllText(EniConfPath, json);
        return this;
    }

    /// <summary>A conflist entry as libcni hands it over (name and cniVersion injected).</summary>
    public JsonObject Config(string cniVersion = "1.0.0", string? prevResultFile = "prev-1.0.0.json")
    {
        var conf = new JsonObject
        {
            ["cniVersion"] = cniVersion,
            ["name"] = "terway",
            ["type"] = "eip-cni",
            ["clusterId"] = "c1234",
            ["eniConfPath"] = EniConfPath,
            ["stateDir"] = StateDir,
            ["logFile"] = LogFile,
            ["capabilities"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = true },
        };
        if (_kubeconfig) conf["kubeconfig"] = KubeconfigPath;
        if (prevResultFile is not null) conf["prevResult"] = Golden(prevResultFile);
        return conf;
    }

    public static JsonNode Golden(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "tests", "EipCni.Tests", "Golden", file)))!;

    public string[] LogLines() => File.Exists(LogFile) ? File.ReadAllLines(LogFile) : [];

    public void Dispose() => _dir.Dispose();
}

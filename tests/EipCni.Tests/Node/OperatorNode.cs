using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>
/// A scratch node for the operator commands: a conf dir whose active conflist chains eip-cni with its files in the
/// scratch (state dir, eni_conf, kubeconfig), loopback endpoints nobody listens on, and a bin dir.
/// </summary>
public sealed class OperatorNode : IDisposable
{
    private readonly NodeDirs _dirs = new();

    public OperatorNode(bool eipPool = true, JsonObject? entryExtras = null)
    {
        var entry = new JsonObject
        {
            ["type"] = "eip-cni",
            ["clusterId"] = "c-test",
            ["nodeName"] = NodeDirs.NodeName,
            ["stateDir"] = StateDir,
            ["eniConfPath"] = EniConfPath,
            ["kubeconfig"] = KubeconfigPath,
            ["regionId"] = "cn-hangzhou",
            ["endpoints"] = new JsonObject { ["vpc"] = "https://127.0.0.1:1", ["ecs"] = "https://127.0.0.1:1", ["metadata"] = "http://127.0.0.1:1" },
        };
        foreach (var (key, value) in entryExtras ?? []) entry[key] = value?.DeepClone();
        ConfigPath = _dirs.WriteConf("10-terway.conflist", new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = "terway",
            ["plugins"] = new JsonArray(new JsonObject { ["type"] = "terway" }, entry),
        }.ToJsonString());
        if (eipPool) WriteEniConf("""{"enable_eip_pool":"true","access_key":"LTAIexample","access_secret":"secret-example"}""");
    }

    public string ConfDir => _dirs.ConfDir;
    public string BinDir => _dirs.BinDir;
    public string SourceDir => _dirs.SourceDir;
    public string ConfigPath { get; }
    public string StateDir => Path.Combine(_dirs.Root, "state");
    public string EniConfPath => Path.Combine(_dirs.Root, "eni.json");
    public string KubeconfigPath => Path.Combine(_dirs.Root, "eip-cni.kubeconfig");
    public string TokenPath => Path.Combine(_dirs.Root, "eip-cni.token");

    public void WriteEniConf(string json) => File.WriteAllText(EniConfPath, json);

    /// <summary>A kubeconfig naming a token file, and the token.</summary>
    public void WriteKubeconfig(string token)
    {
        File.WriteAllText(KubeconfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:6443
            users:
            - name: u
              user:
                tokenFile: {TokenPath}
            contexts:
            - name: x
              context:
                cluster: c
                user: u
            current-context: x
            """);
        File.WriteAllText(TokenPath, token);
    }

    /// <summary>Both binaries in the bin dir, identical to the agent's copies.</summary>
    public void InstallBinaries()
    {
        foreach (var binary in EipCni.Node.ChainInstaller.Binaries) File.Copy(Path.Combine(SourceDir, binary), Path.Combine(BinDir, binary), overwrite: true);
    }

    public void Dispose() => _dirs.Dispose();
}

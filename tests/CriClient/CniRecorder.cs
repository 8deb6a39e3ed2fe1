using System.Text.Json.Nodes;

namespace CriClient;

/// <summary>One CNI invocation as the recording plugin saw it.</summary>
public sealed record CniCall(string Command, string ContainerId, string Netns, string IfName, string Args, string Stdin)
{
    /// <summary>The network config the runtime passed on stdin (null for an empty or unparsable stdin).</summary>
    public JsonObject? Config
    {
        get
        {
            try { return JsonNode.Parse(Stdin) as JsonObject; }
            catch (System.Text.Json.JsonException) { return null; }
        }
    }

    /// <summary>One key of CNI_ARGS (K8S_POD_NAME, K8S_POD_UID, ...), or null.</summary>
    public string? Arg(string key) =>
        Args.Split(';').Select(kv => kv.Split('=', 2)).FirstOrDefault(kv => kv.Length == 2 && kv[0] == key)?[1];
}

/// <summary>
/// A chained CNI plugin (a shell script using jq) that records every call it gets — verb, CNI_* variables, stdin — as a
/// JSON line, and otherwise does nothing: ADD answers with the prevResult, so the chain's result passes through.
/// </summary>
public sealed class CniRecorder
{
    private CniRecorder(string type, string log)
    {
        Type = type;
        LogPath = log;
    }

    /// <summary>The plugin type (its file name in the bin dir).</summary>
    public string Type { get; }

    public string LogPath { get; }

    /// <summary>Writes the script as <paramref name="type"/> into <paramref name="binDir"/>; calls go to <paramref name="logPath"/>.</summary>
    public static CniRecorder Install(string binDir, string type, string logPath)
    {
        var script = $$"""
            #!/bin/sh
            # Test plugin: records the call, passes the previous result through.
            input=$(cat)
            jq -nc --arg command "$CNI_COMMAND" --arg containerId "$CNI_CONTAINERID" --arg netns "$CNI_NETNS" \
              --arg ifName "$CNI_IFNAME" --arg args "$CNI_ARGS" --arg stdin "$input" \
              '{Command: $command, ContainerId: $containerId, Netns: $netns, IfName: $ifName, Args: $args, Stdin: $stdin}' >> '{{logPath}}'
            case "$CNI_COMMAND" in
              ADD) printf '%s' "$input" | jq -c '.prevResult // {cniVersion: .cniVersion}' ;;
              VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}' ;;
            esac
            """;
        var path = Path.Combine(binDir, type);
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return new CniRecorder(type, logPath);
    }

    /// <summary>Its conflist entry; with the pod-annotations capability the runtime passes the pod's annotations in runtimeConfig.</summary>
    public JsonObject PluginConfig(bool podAnnotations = true)
    {
        var config = new JsonObject { ["type"] = Type };
        if (podAnnotations) config["capabilities"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = true };
        return config;
    }

    /// <summary>Every call so far, oldest first.</summary>
    public IReadOnlyList<CniCall> Calls() =>
        File.Exists(LogPath)
            ? File.ReadAllLines(LogPath).Where(l => l.Length > 0)
                .Select(l => System.Text.Json.JsonSerializer.Deserialize(l, CniCallJson.Default.CniCall)!).ToList()
            : [];

    /// <summary>The verbs called so far, oldest first (e.g. "ADD", "DEL", "DEL").</summary>
    public IReadOnlyList<string> Verbs() => Calls().Select(c => c.Command).ToList();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CniCall))]
internal sealed partial class CniCallJson : System.Text.Json.Serialization.JsonSerializerContext;

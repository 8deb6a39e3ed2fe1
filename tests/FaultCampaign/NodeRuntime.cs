using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace FaultCampaign;

/// <summary>How one CNI call ended, as the runtime saw it.</summary>
public enum CallKind
{
    Ok,
    /// <summary>A plugin of the chain answered with a CNI error (eip-cni's: one JSON error, code not 999).</summary>
    CniError,
    /// <summary>The runtime's deadline passed and the running plugin was SIGKILLed (not a crash).</summary>
    Killed,
    /// <summary>eip-cni broke the contract: code 999, garbage or nothing on stdout, more than one document.</summary>
    Crash,
}

/// <summary>One CNI call of the campaign and how it ended.</summary>
public sealed record CallOutcome(string Verb, string ContainerId, CallKind Kind, int? Code, string? Plugin, string Text, TimeSpan Elapsed,
    DateTimeOffset Started, DateTimeOffset Ended, string Stdout, string Stderr)
{
    public bool Ok => Kind == CallKind.Ok;

    /// <summary>How many result lines eip-cni must have logged for this call: [min, max].</summary>
    public (int Min, int Max) ExpectedLogLines => (Verb, Kind, Plugin) switch
    {
        (_, CallKind.Ok, _) => (1, 1),
        ("GC", _, _) => (0, 1),
        (_, CallKind.Killed, "eip-cni") => (0, 1),
        (_, _, "eip-cni") => (1, 1),
        ("DEL", _, _) => (1, 1), // eip-cni runs first on DEL and answered; bridge or host-local failed after it
        ("DEL-direct" or "ADD-direct", _, _) => (1, 1),
        _ => (0, 0), // ADD failed in bridge or host-local before eip-cni ran
    };

    public string Brief => $"{Verb} {ContainerId}: {Kind}{(Code is { } c ? " " + c.ToString(CultureInfo.InvariantCulture) : "")}{(Plugin is null ? "" : " from " + Plugin)} in {Elapsed.TotalMilliseconds:0} ms" +
        (Kind == CallKind.Ok ? "" : $" ({Shorten(Text, 300)})");

    public static string Shorten(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}

/// <summary>One sandbox: a container ID with its own network namespace, of one pod.</summary>
public sealed class Sandbox(int lifecycle, int attempt, string containerId, string podName, string caps) : IDisposable
{
    public int Lifecycle { get; } = lifecycle;
    public int Attempt { get; } = attempt;
    public string ContainerId { get; } = containerId;
    public string PodName { get; } = podName;
    public string Caps { get; } = caps;
    public Netns Netns { get; } = new();
    /// <summary>The pod IP host-local gave this sandbox (from the ADD result, or host-local's store after a failed ADD).</summary>
    public string? Ip { get; set; }
    /// <summary>The chain's ADD result (what libcni hands eip-cni as prevResult, modulo cniVersion).</summary>
    public string? AddResult { get; set; }

    public void Dispose() => Netns.Dispose();
}

/// <summary>
/// The kubelet + containerd stand-in's hands: CNI calls through libcni (tests/cnitool) with the runtime's deadline, a
/// direct call of eip-cni with the stdin libcni would give it (the duplicate ADD: bridge, standing in for Terway, is
/// not idempotent), and the classification of every answer.
/// </summary>
public sealed class NodeRuntime(CniChain chain, CampaignOptions options)
{
    public CallOutcome Cnitool(string verb, Sandbox? sb, int? deadlineMs = null)
    {
        var env = new Dictionary<string, string>
        {
            ["CNITOOL_JSON_ERRORS"] = "1",
            ["CNI_PLUGIN_TIMEOUT_MS"] = (deadlineMs ?? options.RuntimeDeadlineMs).ToString(CultureInfo.InvariantCulture),
        };
        var started = DateTimeOffset.UtcNow;
        var r = sb is null
            ? chain.Cnitool(verb, containerId: "", env: env)
            : chain.Cnitool(verb, containerId: sb.ContainerId, capArgs: sb.Caps, podName: sb.PodName, netnsPath: sb.Netns.Path, env: env);
        var ended = DateTimeOffset.UtcNow;
        var label = verb.ToUpperInvariant();
        var id = sb?.ContainerId ?? "";
        if (r.ExitCode == 0) return new(label, id, CallKind.Ok, null, null, "", r.Elapsed, started, ended, r.Stdout, r.Stderr);

        JsonObject? line = null;
        try { line = JsonNode.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "") as JsonObject; }
        catch (JsonException) { }
        if (line is null) return new(label, id, CallKind.Crash, null, null, "cnitool printed no error line: " + r.Stderr, r.Elapsed, started, ended, r.Stdout, r.Stderr);
        var plugin = line["plugin"]?.GetValue<string>();
        var text = line["text"]?.GetValue<string>() ?? r.Stderr;
        var killed = line["killedByRuntime"]?.GetValue<bool>() == true;
        var code = line["cniError"]?["code"]?.GetValue<int>();
        var eipCni = plugin == "eip-cni" || (plugin is null && text.Contains("\"eip-cni\"", StringComparison.Ordinal));
        CallKind kind;
        if (killed) kind = CallKind.Killed;
        else if (code is null) kind = eipCni ? CallKind.Crash : CallKind.CniError; // libcni could not use eip-cni's answer
        else if (eipCni && code is 999 or 0) kind = CallKind.Crash; // a bug, or garbage/nothing on stdout
        else kind = CallKind.CniError;
        return new(label, id, kind, code, plugin, text, r.Elapsed, started, ended, r.Stdout, r.Stderr);
    }

    /// <summary>eip-cni ADD called directly, exactly as libcni would for the last plugin of the chain.</summary>
    public CallOutcome DirectAdd(Sandbox sb, string prevResult, IReadOnlyDictionary<string, string> annotations)
    {
        var conf = JsonNode.Parse(chain.EipPlugin.ToJsonString())!.AsObject();
        conf["name"] = chain.NetName;
        conf["cniVersion"] = "1.0.0";
        var a = new JsonObject();
        foreach (var (k, v) in annotations) a[k] = v;
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = a };
        conf["prevResult"] = JsonNode.Parse(prevResult);
        var env = chain.CnitoolEnv(sb.ContainerId, sb.PodName);
        env["CNI_COMMAND"] = "ADD";
        env["CNI_NETNS"] = sb.Netns.Path;
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        var started = DateTimeOffset.UtcNow;
        var r = ProcessRunner.Run(Path.Combine(chain.BinDir, "eip-cni"), [], env, Encoding.UTF8.GetBytes(conf.ToJsonString()),
            TimeSpan.FromMilliseconds(options.RuntimeDeadlineMs), inheritEnv: false);
        var ended = DateTimeOffset.UtcNow;
        var docs = JsonDocuments(r.Stdout);
        CallKind kind;
        int? code = null;
        if (docs is not [JsonObject doc]) kind = CallKind.Crash;
        else if (r.ExitCode == 0) kind = CallKind.Ok;
        else
        {
            code = doc["code"] is JsonValue v && v.TryGetValue<int>(out var c) ? c : null;
            kind = code is null or 999 or 0 ? CallKind.Crash : CallKind.CniError;
        }
        var text = kind == CallKind.Ok ? "" : $"exit {r.ExitCode}: {r.Stdout.Trim()} {r.Stderr.Trim()}";
        return new("ADD-direct", sb.ContainerId, kind, code, "eip-cni", text, r.Elapsed, started, ended, r.Stdout, r.Stderr);
    }

    /// <summary>Every JSON document on stdout, in order (null when stdout is not a sequence of JSON documents).</summary>
    static JsonNode?[]? JsonDocuments(string stdout)
    {
        var rest = Encoding.UTF8.GetBytes(stdout).AsSpan();
        var docs = new List<JsonNode?>();
        while (true)
        {
            var i = 0;
            while (i < rest.Length && rest[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') i++;
            rest = rest[i..];
            if (rest.IsEmpty) return [.. docs];
            try
            {
                var reader = new Utf8JsonReader(rest);
                docs.Add(JsonNode.Parse(ref reader));
                rest = rest[(int)reader.BytesConsumed..];
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>The pod IP host-local reserved for this container (its store: one file per IP holding the container ID).</summary>
    public string? ReservedIp(string containerId)
    {
        var dir = Path.Combine(chain.IpamDir, chain.NetName);
        if (!Directory.Exists(dir)) return null;
        foreach (var f in Directory.GetFiles(dir))
        {
            var name = Path.GetFileName(f);
            if (!System.Net.IPAddress.TryParse(name, out _)) continue;
            try
            {
                var content = File.ReadAllText(f);
                if (content == containerId || content.StartsWith(containerId + "\r\n", StringComparison.Ordinal) || content.StartsWith(containerId + "\n", StringComparison.Ordinal))
                    return name;
            }
            catch (IOException)
            {
                // released while we looked
            }
        }
        return null;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EipCni.Tests.Cni;
using EipCni.Tests.Support;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// Failures a person reads: the CNI error on stdout, the log and the journal's lastError, from the published binaries.
/// They read as sentences: no resource keys of the framework (<c>IO_FileNotFound_FileName</c>), no HTML-safe escapes
/// (<c>\u0022</c>), no phrase said twice.
/// </summary>
public partial class ReadableErrorTests : IClassFixture<EipWorld>
{
    private readonly EipWorld _world;

    public ReadableErrorTests(EipWorld world)
    {
        _world = world;
        _world.Reset();
    }

    [GeneratedRegex(@"\b[A-Z][A-Za-z]+_[A-Za-z_]+\b")]
    private static partial Regex ResourceKey();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();

    /// <summary>Checks one text a person reads (a message, details, an error field).</summary>
    private static void AssertSentence(string where, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        Assert.False(ResourceKey().IsMatch(text), $"{where} holds a resource key: {text}");
        // Words only: paths, addresses and numbers may well appear twice (a path in the message and in the cause).
        var words = text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(t => !t.Contains('/') && !t.Any(char.IsDigit))
            .Select(t => Word().Match(t).Value).Where(w => w.Length > 0).ToArray();
        var pairs = words.Zip(words.Skip(1), (a, b) => a + " " + b).ToArray();
        var repeated = pairs.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        Assert.True(repeated.Length == 0, $"{where} says \"{string.Join("\", \"", repeated)}\" twice: {text}");
    }

    /// <summary>The raw text of a JSON document (stdout, a log line, a record) and each of its human-readable fields.</summary>
    private static void AssertReadableJson(string where, string raw, params string[] fields)
    {
        Assert.DoesNotContain(@"\u0022", raw);
        using var doc = JsonDocument.Parse(raw);
        foreach (var f in fields)
            if (doc.RootElement.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String) AssertSentence($"{where} {f}", v.GetString());
    }

    private static void AssertReadableOutput(ProcessResult r, string[] logLines)
    {
        AssertReadableJson("stdout", r.Stdout, "msg", "details");
        Assert.NotEmpty(logLines);
        foreach (var line in logLines) AssertReadableJson("log line", line, "msg", "error", "details");
    }

    private static ProcessResult Add(PluginWorld world, JsonObject conf) =>
        NativePlugin.Invoke(NativePlugin.Env("ADD"), conf.ToJsonString());

    [Fact]
    public void An_eni_conf_that_cannot_be_read_is_named_in_words()
    {
        using var world = new PluginWorld();
        Directory.CreateDirectory(world.EniConfPath); // a directory where the file should be: not a usable config file

        var r = Add(world, world.Config());

        NativePlugin.AssertError(r, 7, world.EniConfPath);
        AssertReadableOutput(r, world.LogLines());
    }

    [Fact]
    public void A_missing_kubeconfig_is_named_in_words()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var conf = world.Config();
        var kubeconfig = Path.Combine(world.Dir, "missing.kubeconfig");
        conf["kubeconfig"] = kubeconfig; // no annotations from the runtime: the pod must be read from the API server

        var r = Add(world, conf);

        NativePlugin.AssertError(r, 7, kubeconfig);
        AssertReadableOutput(r, world.LogLines());
    }

    [Fact]
    public void An_api_server_refusing_connections_is_reported_once_after_the_retries()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var kubeconfig = Path.Combine(world.Dir, "kubeconfig");
        File.WriteAllText(kubeconfig, $$$"""
            {"apiVersion":"v1","kind":"Config","current-context":"c",
             "clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:{{{ClosedPort()}}}"}}],
             "contexts":[{"name":"c","context":{"cluster":"c","user":"u"}}],
             "users":[{"name":"u","user":{"token":"t"}}]}
            """);
        var conf = world.Config();
        conf["kubeconfig"] = kubeconfig;
        conf["addTimeoutSeconds"] = 30; // room for every attempt: the message says how retries ended

        var r = Add(world, conf);

        NativePlugin.AssertError(r, 11, "cannot read pod default/web-0");
        AssertReadableOutput(r, world.LogLines());
    }

    [Fact]
    public void A_cloud_that_never_answers_within_a_tiny_budget_is_reported_in_words()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true","access_key":"ak","access_secret":"sk","region_id":"cn-hangzhou"}""");
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts, never answers
        silent.Start(100);
        var url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        var conf = world.Config();
        conf["addTimeoutSeconds"] = 5;
        conf["endpoints"] = new JsonObject { ["vpc"] = url, ["ecs"] = url, ["sts"] = url, ["metadata"] = url };
        // A usable kubeconfig (ADD checks it before any cloud call); its API server is never reached here.
        var kubeconfig = Path.Combine(Path.GetDirectoryName(world.EniConfPath)!, "kubeconfig");
        var ca = EipCni.Tests.Kube.TestPki.CreateCa("readable-ca");
        File.WriteAllText(kubeconfig, EipCni.Tests.Kube.TestPki.Kubeconfig("https://127.0.0.1:1", $"certificate-authority-data: {EipCni.Tests.Kube.TestPki.Base64(ca.Ca.ExportCertificatePem())}", "token: abc.def"));
        conf["kubeconfig"] = kubeconfig;
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { [WantsEip] = "true" } };

        var r = Add(world, conf);

        NativePlugin.AssertError(r, 11);
        AssertReadableOutput(r, world.LogLines());
    }

    [Fact]
    public void Quotes_in_an_error_are_written_as_quotes()
    {
        using var world = new PluginWorld();
        var r = Add(world, world.Config(cniVersion: "9.9.9"));

        NativePlugin.AssertError(r, 1, "\"9.9.9\"");
        Assert.Contains("\\\"9.9.9\\\"", r.Stdout);
        AssertReadableOutput(r, world.LogLines());
    }

    [Fact]
    public void The_journal_says_in_words_why_a_del_is_held()
    {
        using var chain = _world.Chain(edit: p => p["delTimeoutSeconds"] = 2);
        _world.CreatePod("web-0", AutoEip);
        var add = chain.Plugin("ADD", "readable-1", "10.250.0.31", annotations: AutoEip);
        Assert.True(add.ExitCode == 0, add.Stdout + chain.Log());
        _world.CloudFault(Fault("*", stallMs: 15000)); // the cloud stops answering

        var del = chain.Plugin("DEL", "readable-1", "10.250.0.31", annotations: AutoEip);

        NativePlugin.AssertError(del, 11); // held: the unbind is not confirmed
        AssertReadableJson("DEL error", del.Stdout, "msg", "details");
        var record = chain.JournalRecord("readable-1");
        Assert.NotNull(record);
        var lastError = record.Str("lastError");
        Assert.False(string.IsNullOrEmpty(lastError), record.ToJsonString());
        AssertSentence("journal lastError", lastError);
        foreach (var file in Directory.GetFiles(Path.Combine(chain.StateDir, "networks", chain.NetName), "*.json"))
            Assert.DoesNotContain(@"\u0022", File.ReadAllText(file));
        foreach (var line in chain.LogLines()) AssertReadableJson("log line", line, "msg", "error", "details");
    }

    private static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port; // closed again when the listener is disposed
    }
}

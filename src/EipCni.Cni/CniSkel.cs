using System.Diagnostics;
using System.Text.Json;

namespace EipCni.Cni;

/// <summary>
/// The CNI protocol entry point, as CNI's skel is for Go plugins: validates env, stdin and version, dispatches one
/// verb to an <see cref="ICniVerbs"/>, and prints exactly one JSON document on stdout (the result, or an error). Never
/// lets an exception or stack trace escape; logs one line per call. Knows nothing of EIPs.
/// </summary>
public sealed class CniSkel
{
    private readonly Func<string, string?> _env;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly ICniVerbs _verbs;
    private readonly Func<string, LogLevel, string, ILog> _logFactory;

    public CniSkel(Func<string, string?> env, Stream stdin, Stream stdout, ICniVerbs verbs, Func<string, LogLevel, string, ILog>? logFactory = null)
    {
        _env = env;
        _stdin = stdin;
        _stdout = stdout;
        _verbs = verbs;
        _logFactory = logFactory ?? ((path, level, id) => new JsonLineLog(path, level, id));
    }

    /// <summary>Runs the call and returns the process exit code.</summary>
    public int Run()
    {
        var clock = Stopwatch.StartNew();
        string resultVersion = CniVersion.Latest;
        CniInvocation? invocation = null;
        NetConf? conf = null;
        ILog? log = null;
        var summary = "";
        string? fallbackLogFile = null;
        try
        {
            invocation = ReadEnvironment(out fallbackLogFile);
            if (invocation.Command == CniCommand.Version)
            {
                WriteVersion(StdinReader.ReadAll(_stdin));
                return 0;
            }

            var stdin = StdinReader.ReadAll(_stdin);
            using var doc = ParseJson(stdin);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CniException(CniCode.DecodingFailure, "network configuration must be a JSON object", $"got {JsonFields.Describe(doc.RootElement)}");
            fallbackLogFile = LogFileHint(doc.RootElement);
            var version = NetConf.ReadVersion(doc.RootElement);
            if (CniVersion.IsSupported(version)) resultVersion = version;
            CheckVersion(version, invocation.Command);
            conf = NetConf.Parse(doc.RootElement, invocation.Command);
            log = _logFactory(conf.LogFile, conf.LogLevel, invocation.ContainerId.Length > 0 ? invocation.ContainerId : invocation.Command.Name());
            RequirePrevResult(invocation, conf);

            var call = new CniCall(invocation, conf, stdin, log);
            var outcome = invocation.Command switch
            {
                CniCommand.Add => _verbs.Add(call),
                CniCommand.Del => _verbs.Del(call),
                CniCommand.Check => _verbs.Check(call),
                CniCommand.Gc => _verbs.Gc(call),
                CniCommand.Status => _verbs.Status(call),
                _ => throw new UnreachableException(),
            };
            if (outcome.AnsweredWithExitCode is { } exitCode) return exitCode; // another process answered and logged
            summary = outcome.Summary;
            if (invocation.Command == CniCommand.Add) WriteAddResult(conf);
            LogOutcome(log, invocation, clock, null, summary);
            return 0;
        }
        catch (Exception e)
        {
            var error = e as CniException ?? Internal(e);
            WriteError(resultVersion, error);
            log ??= SafeDefaultLog(conf, invocation, fallbackLogFile);
            LogOutcome(log, invocation, clock, error, summary, e is CniException ? null : e);
            return 1;
        }
    }

    /// <summary>
    /// The CNI_* environment. When it is invalid, stdin is still read for its <c>logFile</c>, so the failure is logged
    /// where the operator configured it rather than in the default file.
    /// </summary>
    private CniInvocation ReadEnvironment(out string? logFileHint)
    {
        logFileHint = null;
        try
        {
            return CniInvocation.FromEnvironment(_env);
        }
        catch (CniException)
        {
            try
            {
                using var doc = ParseJson(StdinReader.ReadAll(_stdin)); // valid text only: a lone surrogate is no file name
                if (doc.RootElement.ValueKind == JsonValueKind.Object) logFileHint = LogFileHint(doc.RootElement);
            }
            catch (Exception e) when (e is CniException or JsonException or ArgumentException)
            {
                // No usable config on stdin: the default log file gets the line (and the env error is the answer).
            }
            throw;
        }
    }

    /// <summary>ADD and CHECK need the previous plugin's result, well formed even when the pod wants no EIP.</summary>
    private static void RequirePrevResult(CniInvocation inv, NetConf conf)
    {
        if (inv.Command is not (CniCommand.Add or CniCommand.Check)) return;
        if (conf.PrevResult is not JsonElement prev)
            throw new CniException(CniCode.InvalidConfig, inv.Command == CniCommand.Add
                ? "missing prevResult: eip-cni must be chained after the plugin that sets up the pod's interface (Terway)"
                : "missing prevResult: CHECK needs the result of ADD");
        PrevResult.PodIPv4(prev, inv.IfName); // validates the shape
    }

    /// <summary>ADD's result is the previous plugin's, in the configured version: this plugin adds no interface or IP.</summary>
    private void WriteAddResult(NetConf conf)
    {
        var prev = conf.PrevResult!.Value;
        if (prev.TryGetProperty("cniVersion", out var v) && v.ValueKind == JsonValueKind.String && v.ValueEquals(conf.CniVersion))
        {
            // Already in the configured version (as libcni passes it): the previous plugin's bytes, unchanged, in one
            // write — cheaper than re-serialising every field, for the same document.
            _stdout.Write(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(prev));
            _stdout.Write("\n"u8);
            _stdout.Flush();
            return;
        }
        // Written whole or not at all: a failure half-way must not leave half a result in front of the error JSON.
        var result = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(result, ReadableJson.Indented))
            PrevResult.WriteWithVersion(w, conf.PrevResult!.Value, conf.CniVersion);
        _stdout.Write(result.WrittenSpan);
        _stdout.Write("\n"u8);
        _stdout.Flush();
    }

    private static JsonDocument ParseJson(byte[] stdin)
    {
        if (stdin.Length == 0)
            throw new CniException(CniCode.DecodingFailure, "empty network configuration on stdin");
        if (!System.Text.Unicode.Utf8.IsValid(stdin))
            throw new CniException(CniCode.DecodingFailure, "network configuration is not valid JSON", "stdin is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stdin, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new CniException(CniCode.DecodingFailure, "network configuration is not valid JSON", e.Message);
        }
        if (JsonText.FirstUndecodableString(stdin) is { } problem)
        {
            doc.Dispose();
            throw new CniException(CniCode.DecodingFailure, "network configuration is not valid text", problem);
        }
        return doc;
    }

    private static void CheckVersion(string version, CniCommand command)
    {
        var supported = string.Join(", ", CniVersion.Supported);
        if (!CniVersion.IsSupported(version))
            throw new CniException(CniCode.IncompatibleVersion, "incompatible CNI versions",
                $"config is \"{version}\", plugin supports [{supported}]");
        var minimum = CniVersion.MinimumFor(command);
        if (!CniVersion.AtLeast(version, minimum))
            throw new CniException(CniCode.IncompatibleVersion, "incompatible CNI versions",
                $"config version \"{version}\" does not allow {command.Name()}; it needs {minimum} or later");
    }

    private void WriteVersion(byte[] stdin)
    {
        var version = CniVersion.Latest;
        if (stdin.Length > 0)
        {
            using var doc = ParseJson(stdin);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                var v = NetConf.ReadVersion(doc.RootElement);
                if (v != "0.1.0") version = v; // echo what the caller speaks, as the spec asks
            }
        }
        using var w = new Utf8JsonWriter(_stdout, ReadableJson.Compact);
        w.WriteStartObject();
        w.WriteString("cniVersion", version);
        w.WriteStartArray("supportedVersions");
        foreach (var s in CniVersion.Supported) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        _stdout.Write("\n"u8);
        _stdout.Flush();
    }

    private void WriteError(string cniVersion, CniException error)
    {
        try
        {
            using var w = new Utf8JsonWriter(_stdout, ReadableJson.Indented);
            w.WriteStartObject();
            w.WriteString("cniVersion", cniVersion);
            w.WriteNumber("code", error.Code);
            w.WriteString("msg", error.Message);
            if (error.Details.Length > 0) w.WriteString("details", error.Details);
            w.WriteEndObject();
            w.Flush();
            _stdout.Write("\n"u8);
            _stdout.Flush();
        }
        catch (IOException)
        {
            // stdout closed by the caller: nothing left to tell it.
        }
    }

    /// <summary>A bug or an unforeseen failure: one error JSON with code 999 (libcni's ErrInternal), no stack trace.</summary>
    private static CniException Internal(Exception e) =>
        new(999, "internal error in eip-cni", $"{e.GetType().Name}: {e.Message}", e);

    /// <summary>When the config is rejected, its logFile (if it names one sensibly) still gets the failure line.</summary>
    private static string? LogFileHint(JsonElement root) =>
        root.TryGetProperty("logFile", out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { } p && Path.IsPathRooted(p) && !p.Contains('\0') ? p : null;

    private ILog SafeDefaultLog(NetConf? conf, CniInvocation? inv, string? fallbackLogFile) =>
        _logFactory(conf?.LogFile ?? fallbackLogFile ?? NetConf.DefaultLogFile, conf?.LogLevel ?? LogLevel.Info,
            inv is { ContainerId.Length: > 0 } ? inv.ContainerId : inv?.Command.Name() ?? "unknown");

    private static void LogOutcome(ILog log, CniInvocation? inv, Stopwatch clock, CniException? error, string summary, Exception? bug = null)
    {
        var level = error is null ? LogLevel.Info : LogLevel.Error;
        if (!log.IsEnabled(level)) return;
        log.Write(level, error is null ? "done" : "failed",
            ("command", inv?.Command.Name()),
            ("containerId", inv?.ContainerId),
            ("ifname", inv?.IfName),
            ("pod", inv is null ? null : $"{inv.Args.PodNamespace}/{inv.Args.PodName}"),
            ("ms", clock.Elapsed),
            ("summary", summary),
            ("code", error?.Code),
            ("error", error?.Message),
            ("details", error?.Details),
            ("exception", bug?.ToString()));
    }
}

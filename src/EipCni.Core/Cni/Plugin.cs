using System.Diagnostics;
using System.Text.Json;
using EipCni.Eip;
using EipCni.State;

namespace EipCni.Cni;

/// <summary>
/// The CNI entry point: validates env, stdin and version, dispatches one verb, and prints exactly one JSON document
/// (the result, or an error) on stdout. Never lets an exception or stack trace escape.
/// </summary>
/// <remarks>
/// Two ways to run the EIP work. The hot-path binary (<c>eip-cni</c>) links no cloud or Kubernetes client, so every pod
/// pays only for a small image: when a call needs the engine it hands the same env and stdin to <c>eip-cni-engine</c>
/// (<paramref name="delegateToEngine"/>), whose output becomes the answer. The engine binary runs it in-process
/// (<paramref name="engineFactory"/>). Both decide "does this call need the engine?" with the same local checks.
/// </remarks>
public sealed class Plugin
{
    private readonly Func<string, string?> _env;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly Func<AttachmentContext, IEipEngine>? _engineFactory;
    private readonly Func<byte[], int>? _delegateToEngine;
    private readonly Func<string, LogLevel, string, ILog> _logFactory;
    private readonly Func<CniInvocation, NetConf, ILog, bool>? _beforeEngine;

    /// <param name="beforeEngine">
    /// Engine binary only: runs before the engine and returns false when nothing is left for it to do (see
    /// <see cref="SetAsideUnreadableRecord"/>). A delegate, so the hot path links none of the journal's reading code.
    /// </param>
    public Plugin(Func<string, string?> env, Stream stdin, Stream stdout,
        Func<AttachmentContext, IEipEngine>? engineFactory = null,
        Func<byte[], int>? delegateToEngine = null,
        Func<string, LogLevel, string, ILog>? logFactory = null,
        Func<CniInvocation, NetConf, ILog, bool>? beforeEngine = null)
    {
        if ((engineFactory is null) == (delegateToEngine is null))
            throw new ArgumentException("give exactly one of engineFactory and delegateToEngine");
        _env = env;
        _stdin = stdin;
        _stdout = stdout;
        _engineFactory = engineFactory;
        _delegateToEngine = delegateToEngine;
        _logFactory = logFactory ?? ((path, level, id) => new JsonLineLog(path, level, id));
        _beforeEngine = beforeEngine;
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
            log = _logFactory(conf.LogFile, conf.LogLevel, invocation.ContainerId.Length > 0 ? invocation.ContainerId : invocation.Command.ToString());

            RequirePrevResult(invocation, conf);
            // DEL and GC decide from the journal alone: a broken eni_conf must not fail the DEL of a pod without a
            // record (it would stay Terminating), and the engine reads eni_conf itself when there is work.
            var decidesByEniConf = invocation.Command is CniCommand.Add or CniCommand.Check;
            var eniConf = decidesByEniConf ? LoadEniConf(conf, log) : EniConf.Disabled;
            var needsEngine = NeedsEngine(invocation, conf, eniConf);
            if (needsEngine && decidesByEniConf && invocation.Args.InvalidIdentity is { } bad)
                throw new CniException(CniCode.InvalidEnvironment, $"invalid {bad.Key} in CNI_ARGS", bad.Problem);
            // The engine binary answers (and logs) for itself: nothing more from this process.
            if (needsEngine && _delegateToEngine is not null) return _delegateToEngine(stdin);
            if (needsEngine && _beforeEngine is not null) needsEngine = _beforeEngine(invocation, conf, log);
            if (needsEngine && !decidesByEniConf) eniConf = LoadEniConf(conf, log);

            summary = invocation.Command switch
            {
                CniCommand.Add => CmdAdd(invocation, conf, eniConf, log, needsEngine),
                CniCommand.Del => needsEngine ? RunEngine(invocation, conf, eniConf, log, conf.DelTimeoutSeconds, (e, c, ct) => e.DelAsync(c, ct)) : "nothing recorded",
                CniCommand.Check => CmdCheck(invocation, conf, eniConf, log, needsEngine),
                CniCommand.Gc => needsEngine ? RunEngine(invocation, conf, eniConf, log, conf.DelTimeoutSeconds, (e, c, ct) => e.GcAsync(c, ct)) : "nothing recorded",
                CniCommand.Status => CmdStatus(conf),
                _ => throw new UnreachableException(),
            };
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
                using var doc = JsonDocument.Parse(StdinReader.ReadAll(_stdin), new JsonDocumentOptions { MaxDepth = 64 });
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

    /// <summary>
    /// Local, cheap checks (no network): does this call have EIP work to do? ADD: the feature is on and the pod asks
    /// (or its annotations must be read from the API server, or are invalid and deserve a Warning event). DEL: a journal
    /// record exists. CHECK: either. GC: the journal holds records. STATUS never needs it.
    /// </summary>
    private static bool NeedsEngine(CniInvocation inv, NetConf conf, EniConf eniConf)
    {
        var journal = new Journal(conf.StateDir, conf.Name);
        var key = new AttachmentKey(conf.Name, inv.ContainerId, inv.IfName);
        switch (inv.Command)
        {
            case CniCommand.Add:
                return eniConf.EnableEipPool && PodMayAsk(inv, conf);
            case CniCommand.Check:
                return journal.Exists(key) || (eniConf.EnableEipPool && PodMayAsk(inv, conf));
            case CniCommand.Del:
                return journal.Exists(key); // the feature may have been switched off since ADD: a record is still given back
            case CniCommand.Gc:
                return journal.HasRecords();
            default:
                return false;
        }
    }

    /// <summary>With the annotations at hand: does the pod ask (or hold an invalid EIP annotation)? Without them: only the API server knows.</summary>
    private static bool PodMayAsk(CniInvocation inv, NetConf conf)
    {
        // Without them the pod must be read from the API server: an invalid identity is then refused (4), never used.
        if (conf.PodAnnotations is not { } annotations) return inv.Args.NamesPod;
        try
        {
            return EipRequestParser.Parse(annotations).Wanted;
        }
        catch (CniException)
        {
            return true; // the engine fails it with code 7 and posts the Warning event on the pod
        }
    }

    private string CmdAdd(CniInvocation inv, NetConf conf, EniConf eniConf, ILog log, bool needsEngine)
    {
        var summary = eniConf.EnableEipPool ? "no EIP requested" : "pass-through";
        if (needsEngine)
            summary = RunEngine(inv, conf, eniConf, log, conf.AddTimeoutSeconds, (e, c, ct) => e.AddAsync(c, ct));

        // Written whole or not at all: a failure half-way must not leave half a result in front of the error JSON.
        var result = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(result, new JsonWriterOptions { Indented = true }))
            PrevResult.WriteWithVersion(w, conf.PrevResult!.Value, conf.CniVersion);
        _stdout.Write(result.WrittenSpan);
        _stdout.Write("\n"u8);
        _stdout.Flush();
        return summary;
    }

    private string CmdCheck(CniInvocation inv, NetConf conf, EniConf eniConf, ILog log, bool needsEngine) =>
        needsEngine ? RunEngine(inv, conf, eniConf, log, conf.AddTimeoutSeconds, async (e, c, ct) => { await e.CheckAsync(c, ct); return "checked"; }) : "checked";

    /// <summary>Local checks only: containerd calls STATUS every few seconds and a failure makes the node NotReady.</summary>
    private static string CmdStatus(NetConf conf)
    {
        EniConf eniConf;
        try
        {
            eniConf = EniConf.Load(conf.EniConfPath, out _);
        }
        catch (CniException e)
        {
            throw new CniException(CniCode.PluginNotAvailable, "eni_conf is unusable", $"{e.Message}: {e.Details}");
        }
        if (!eniConf.EnableEipPool) return "ready (EIP feature off)";
        try
        {
            // The state dir and each subdirectory that exists must be ours, writable by nobody else: else not ready.
            PrivateFiles.CreateOrVerify(conf.StateDir);
            PrivateFiles.VerifyExisting(conf.StateDir, "networks", conf.Name);
            PrivateFiles.VerifyExisting(conf.StateDir, "locks");
            PrivateFiles.VerifyExisting(conf.StateDir, "credentials");
            PrivateFiles.Probe(conf.StateDir);
        }
        catch (CniException e)
        {
            throw new CniException(CniCode.PluginNotAvailable, e.Message, e.Details);
        }
        catch (IOException e)
        {
            throw new CniException(CniCode.PluginNotAvailable, "state directory is not writable", $"{conf.StateDir}: {e.Message}");
        }
        if (string.IsNullOrEmpty(conf.ClusterId ?? eniConf.ClusterId))
            throw new CniException(CniCode.PluginNotAvailable, "clusterId is not configured",
                "set \"clusterId\" in the plugin config or cluster_id in eni_conf: it scopes the ownership tags of every EIP");
        return "ready";
    }

    private static EniConf LoadEniConf(NetConf conf, ILog log)
    {
        var eni = EniConf.Load(conf.EniConfPath, out var exists);
        if (!exists && log.IsEnabled(LogLevel.Debug))
            log.Write(LogLevel.Debug, "eni_conf absent: EIP feature off", ("path", conf.EniConfPath));
        return eni;
    }

    private string RunEngine(CniInvocation inv, NetConf conf, EniConf eniConf, ILog log, int budgetSeconds,
        Func<IEipEngine, AttachmentContext, CancellationToken, Task<string>> call)
    {
        var ctx = new AttachmentContext(conf, eniConf, inv, log);
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(budgetSeconds));
        var engine = _engineFactory!(ctx);
        return call(engine, ctx, budget.Token).GetAwaiter().GetResult();
    }

    /// <summary>
    /// In the engine, before it looks: a record that cannot be read is quarantined (and logged), so it reads as absent.
    /// ADD proceeds as for a new attachment (the ownership tags still find its EIP); DEL has nothing left to do (false:
    /// no engine, whatever eni_conf says). CHECK cannot vouch for an EIP whose record was lost: it fails, naming the
    /// quarantined file. Also where a state dir that is not safe to trust fails the call (5).
    /// </summary>
    public static bool SetAsideUnreadableRecord(CniInvocation inv, NetConf conf, ILog log)
    {
        if (inv.Command is not (CniCommand.Add or CniCommand.Del or CniCommand.Check)) return true;
        var journal = new Journal(conf.StateDir, conf.Name, log);
        var key = new AttachmentKey(conf.Name, inv.ContainerId, inv.IfName);
        if (journal.Read(key) is not null) return true;
        if (inv.Command == CniCommand.Check && journal.QuarantinedCopies(key).FirstOrDefault() is { } copy)
            throw new CniException(CniCode.BindingMismatch, "the journal record of this attachment could not be read, so its EIP cannot be checked",
                $"the record was moved aside to {copy}; a new ADD of the pod records its EIP again");
        return inv.Command != CniCommand.Del;
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
                $"config version \"{version}\" does not allow {command.ToString().ToUpperInvariant()}; it needs {minimum} or later");
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
        using var w = new Utf8JsonWriter(_stdout);
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
            inv is { ContainerId.Length: > 0 } ? inv.ContainerId : inv?.Command.ToString() ?? "unknown");

    private static void LogOutcome(ILog log, CniInvocation? inv, Stopwatch clock, CniException? error, string summary, Exception? bug = null)
    {
        var level = error is null ? LogLevel.Info : LogLevel.Error;
        if (!log.IsEnabled(level)) return;
        log.Write(level, error is null ? "done" : "failed",
            ("command", inv?.Command.ToString().ToUpperInvariant()),
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

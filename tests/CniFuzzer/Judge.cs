using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CniFuzzer;

public enum Verdict { Ok, InternalError, Hang, WrongSuccess }

/// <summary>The class of one call's outcome; <see cref="Signature"/> groups findings with one cause (numbers and quoted values blurred).</summary>
public sealed record Judgement(Verdict Verdict, string Signature, int? CniCode = null);

/// <summary>
/// Classifies a call. Hang: no exit within the verb's budget + 10 s. Exit 0: stdout must be the verb's answer (ADD:
/// prevResult with the config's cniVersion; VERSION: the supported versions; DEL, CHECK, GC, STATUS: nothing), and the
/// oracle must not know the input as invalid, else wrong-success. Non-zero: stdout must be exactly one CNI error object
/// {cniVersion, code, msg, details?} with a code other than 999, and no stack trace anywhere, else internal-error.
/// </summary>
public static partial class Judge
{
    public static readonly string[] SupportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public static Judgement Classify(BuiltCase c, RunResult r, JsonElement? root, IReadOnlyList<string> invalid)
    {
        if (r.Hung) return new(Verdict.Hang, $"no exit within the budget + 10 s: {Blocking(c, root)}");
        var stdoutText = Encoding.UTF8.GetString(r.Stdout);
        if (stdoutText.Contains("   at ", StringComparison.Ordinal) || r.Stderr.Contains("   at ", StringComparison.Ordinal) || r.Stderr.Contains("Unhandled exception", StringComparison.Ordinal))
            return new(Verdict.InternalError, $"a stack trace on {(r.Stderr.Contains("   at ", StringComparison.Ordinal) ? "stderr" : "stdout")}");
        if (r.ExitCode == 0)
        {
            if (invalid.Count > 0) return new(Verdict.WrongSuccess, $"exit 0 though {Blur(invalid[0])}");
            var bad = BadSuccessOutput(c, r.Stdout, root);
            return bad is null ? new(Verdict.Ok, "exit 0") : new(Verdict.WrongSuccess, $"{c.Command} exit 0 with the wrong output: {bad}");
        }
        var (error, code, details) = ErrorObject(r.Stdout);
        if (error is not null) return new(Verdict.InternalError, $"exit {(r.ExitCode > 128 ? $"{r.ExitCode} (signal {r.ExitCode - 128})" : r.ExitCode)} without one CNI error object: {error}");
        if (code == 999) return new(Verdict.InternalError, $"code 999 {Blur(details ?? "")}", 999);
        return new(Verdict.Ok, $"code {code}", code);
    }

    /// <summary>What a hung call was pointed at: the config paths naming a FIFO or /dev/zero, else its mutations.</summary>
    private static string Blocking(BuiltCase c, JsonElement? root)
    {
        var found = new List<string>();
        if (root is { ValueKind: JsonValueKind.Object } conf)
            foreach (var key in new[] { "eniConfPath", "kubeconfig", "stateDir", "logFile" })
                if (JsonView.Get(conf, key) is { Unique: true } f && JsonView.Text(f.Value) is { } path)
                {
                    if (c.Files.GetValueOrDefault(path)?.Kind == CaseFileKind.Fifo) found.Add($"{key} is a FIFO");
                    else if (path == "/dev/zero") found.Add($"{key} is /dev/zero");
                }
        return found.Count > 0 ? string.Join(", ", found)
            : "mutations " + string.Join(", ", c.Recipe.Mutations.Select(m => CaseGenerator.Mutations[m.Op].Name).Distinct().Order());
    }

    /// <summary>Null when stdout is exactly one {cniVersion, code, msg, details?} object; else what is wrong.</summary>
    private static (string? Error, int Code, string? Details) ErrorObject(byte[] stdout)
    {
        if (stdout.Length == 0) return ("stdout is empty", 0, null);
        if (!System.Text.Unicode.Utf8.IsValid(stdout)) return ("stdout is not UTF-8", 0, null);
        using var doc = Single(stdout, out var why);
        if (doc is null) return (why, 0, null);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return ($"stdout is a JSON {root.ValueKind}", 0, null);
        var names = root.EnumerateObject().Select(p => p.Name).ToList();
        if (names.Distinct().Count() != names.Count) return ("a key appears twice", 0, null);
        if (names.Except(["cniVersion", "code", "msg", "details"]).FirstOrDefault() is { } extra) return ($"unexpected key \"{extra}\"", 0, null);
        if (JsonView.Get(root, "cniVersion") is not { Unique: true } v || JsonView.Text(v.Value) is null) return ("cniVersion is not a string", 0, null);
        if (JsonView.Get(root, "code") is not { Unique: true } c || !c.Value.TryGetInt32(out var code)) return ("code is not an integer", 0, null);
        if (JsonView.Get(root, "msg") is not { Unique: true } m || JsonView.Text(m.Value) is null) return ("msg is not a string", 0, null);
        var d = JsonView.Get(root, "details");
        if (d.Present && JsonView.Text(d.Value) is null) return ("details is not a string", code, null);
        return (null, code, d.Present ? JsonView.Text(d.Value) : null);
    }

    /// <summary>Null when a successful call printed what its verb must print.</summary>
    private static string? BadSuccessOutput(BuiltCase c, byte[] stdout, JsonElement? conf)
    {
        if (c.Command is "DEL" or "CHECK" or "GC" or "STATUS")
            return stdout.All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') ? null : $"stdout is not empty: {Cut(Encoding.UTF8.GetString(stdout))}";
        if (!System.Text.Unicode.Utf8.IsValid(stdout)) return "stdout is not UTF-8";
        using var doc = Single(stdout, out var why);
        if (doc is null) return why;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return $"stdout is a JSON {root.ValueKind}";
        if (c.Command == "VERSION")
        {
            var names = root.EnumerateObject().Select(p => p.Name).ToList();
            if (names.Count != 2 || !names.Contains("cniVersion") || !names.Contains("supportedVersions")) return $"keys {string.Join(",", names)}, not cniVersion and supportedVersions";
            if (JsonView.Text(root.GetProperty("cniVersion")) is null) return "cniVersion is not a string";
            var list = root.GetProperty("supportedVersions");
            if (list.ValueKind != JsonValueKind.Array || !list.EnumerateArray().Select(JsonView.Text).Order().SequenceEqual(SupportedVersions))
                return $"supportedVersions {Cut(list.GetRawText())}";
            return null;
        }
        // ADD: prevResult unchanged, its cniVersion the config's (README "Behaviour").
        if (JsonView.Get(root, "cniVersion") is not { Unique: true } rv || JsonView.Text(rv.Value) is not { } resultVersion) return "the result has no cniVersion string";
        if (conf is not { ValueKind: JsonValueKind.Object } confRoot) return null;
        if (JsonView.Get(confRoot, "cniVersion") is { Unique: true } cv && JsonView.Text(cv.Value) is { } confVersion && confVersion != resultVersion)
            return $"cniVersion \"{resultVersion}\", the config's is \"{confVersion}\"";
        if (JsonView.Get(confRoot, "prevResult") is { Unique: true } prev && prev.Value.ValueKind == JsonValueKind.Object &&
            !SameMembers(prev.Value, root, except: "cniVersion"))
            return "the result is not prevResult unchanged";
        return null;
    }

    private static JsonDocument? Single(byte[] bytes, out string why)
    {
        why = "";
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 1_000_000 });
            using (JsonDocument.ParseValue(ref reader))
            {
                if (reader.Read())
                {
                    why = "stdout holds more than one JSON document";
                    return null;
                }
            }
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 1_000_000 });
        }
        catch (JsonException e)
        {
            why = $"stdout is not JSON ({e.Message.Split('.')[0]})";
            return null;
        }
    }

    private static bool SameMembers(JsonElement a, JsonElement b, string? except = null)
    {
        var pa = a.EnumerateObject().Where(p => except is null || !JsonView.NameIs(p, except)).ToList();
        var pb = b.EnumerateObject().Where(p => except is null || !JsonView.NameIs(p, except)).ToList();
        if (pa.Count != pb.Count) return false;
        var used = new bool[pb.Count];
        foreach (var p in pa)
        {
            var i = Enumerable.Range(0, pb.Count).FirstOrDefault(j => !used[j] && SameName(p, pb[j]) && Same(p.Value, pb[j].Value), -1);
            if (i < 0) return false;
            used[i] = true;
        }
        return true;
    }

    private static bool SameName(JsonProperty a, JsonProperty b)
    {
        try
        {
            return a.Name == b.Name;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool Same(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind) return false;
        return a.ValueKind switch
        {
            JsonValueKind.Object => SameMembers(a, b),
            JsonValueKind.Array => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(x => Same(x.First, x.Second)),
            JsonValueKind.String => JsonView.Text(a) is { } s ? s == JsonView.Text(b) : string.Equals(a.GetRawText(), b.GetRawText(), StringComparison.OrdinalIgnoreCase),
            JsonValueKind.Number => a.GetRawText() == b.GetRawText(),
            _ => true,
        };
    }

    /// <summary>Blurs what differs between findings of one cause: quoted values, paths and numbers.</summary>
    public static string Blur(string s)
    {
        s = BackquotedPattern().Replace(s, "`…`");
        s = QuotedPattern().Replace(s, "\"…\"");
        s = SingleQuotedPattern().Replace(s, "'…'");
        s = PathPattern().Replace(s, "/…");
        s = NumberPattern().Replace(s, "#");
        return s.Length > 140 ? s[..140] + "…" : s;
    }

    private static string Cut(string s) => s.Length > 120 ? s[..120] + "…" : s;

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex QuotedPattern();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex BackquotedPattern();

    [GeneratedRegex("'[^']*'")]
    private static partial Regex SingleQuotedPattern();

    [GeneratedRegex(@"/[^\s'"":,]+")]
    private static partial Regex PathPattern();

    /// <summary>Numbers standing alone: not a rule's id (S5) nor part of a name (UTF-16).</summary>
    [GeneratedRegex("(?<![A-Za-z0-9-])[0-9]+")]
    private static partial Regex NumberPattern();
}

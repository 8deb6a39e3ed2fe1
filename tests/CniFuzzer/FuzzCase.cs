using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CniFuzzer;

/// <summary>What a file of the case is: a regular file with content, a directory, or a FIFO (which blocks whoever opens it).</summary>
public enum CaseFileKind { Regular, Directory, Fifo }

public sealed record CaseFile(CaseFileKind Kind, byte[] Content);

/// <summary>How to rebuild a case: the seed of its base call and the mutations applied to it (each with its own seed).</summary>
public sealed record CaseRecipe(int Number, int BaseSeed, IReadOnlyList<(int Op, int Seed)> Mutations);

/// <summary>
/// One call being put together: the CNI_* environment, the network configuration as a JSON tree, raw byte fragments
/// spliced into it after serialization (invalid UTF-8, lone surrogate escapes, huge numbers, deep nesting), edits of the
/// whole stdin, and the case's own files.
/// </summary>
public sealed class CaseDraft(FuzzWorld world, Feature feature, string caseDir)
{
    private int _raw;

    public FuzzWorld World { get; } = world;
    public Feature Feature { get; } = feature;
    public string CaseDir { get; } = caseDir;
    public string Command { get; set; } = "ADD";
    /// <summary>CNI_* variables; null = unset.</summary>
    public Dictionary<string, string?> Env { get; } = new(StringComparer.Ordinal);
    /// <summary>Variables whose value is not valid UTF-8 (handed over through /bin/sh, as .NET cannot).</summary>
    public Dictionary<string, byte[]> RawEnv { get; } = new(StringComparer.Ordinal);
    /// <summary>Harness-only variables (a heap limit for the cases that read /dev/zero); shown in reproducers.</summary>
    public Dictionary<string, string> HarnessEnv { get; } = new(StringComparer.Ordinal);
    public JsonObject Conf { get; set; } = [];
    /// <summary>Placeholder string value → raw JSON bytes put in its place (quotes included) after serialization.</summary>
    public Dictionary<string, byte[]> Raw { get; } = new(StringComparer.Ordinal);
    public List<Func<byte[], byte[]>> StdinEdits { get; } = [];
    /// <summary>Files of this case, made before the call and removed after it.</summary>
    public Dictionary<string, CaseFile> Files { get; } = new(StringComparer.Ordinal);
    /// <summary>Non-ASCII written as raw UTF-8 (true) or as \u escapes.</summary>
    public bool RelaxedEscaping { get; set; }
    public List<string> Labels { get; } = [];

    /// <summary>A string value that serializes to <paramref name="rawJson"/> verbatim (any bytes, valid or not).</summary>
    public JsonNode RawValue(byte[] rawJson)
    {
        var token = $"@@raw-{_raw++}@@";
        Raw[token] = rawJson;
        return JsonValue.Create(token);
    }

    public JsonNode RawValue(string rawJson) => RawValue(Encoding.UTF8.GetBytes(rawJson));

    /// <summary>A file of this case; returns its path.</summary>
    public string AddFile(string name, byte[] content, CaseFileKind kind = CaseFileKind.Regular)
    {
        var path = Path.Combine(CaseDir, name);
        Files[path] = new CaseFile(kind, content);
        return path;
    }

    public JsonObject? PrevResult => Conf["prevResult"] as JsonObject;

    public BuiltCase Build(CaseRecipe recipe)
    {
        var options = new JsonSerializerOptions { Encoder = RelaxedEscaping ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : JavaScriptEncoder.Default };
        var bytes = Encoding.UTF8.GetBytes(Conf.ToJsonString(options));
        foreach (var (token, raw) in Raw) bytes = Replace(bytes, Encoding.UTF8.GetBytes($"\"{token}\""), raw);
        foreach (var edit in StdinEdits) bytes = edit(bytes);
        var env = Env.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
        return new BuiltCase(recipe, Feature, Command, env, new Dictionary<string, byte[]>(RawEnv), new Dictionary<string, string>(HarnessEnv),
            bytes, CaseDir, new Dictionary<string, CaseFile>(Files), [.. Labels], BudgetSeconds(Conf, "addTimeoutSeconds", 5, 200, 90),
            BudgetSeconds(Conf, "delTimeoutSeconds", 1, 110, 30));
    }

    /// <summary>The budget the plugin will use: the key's value when it is a valid one, else its default.</summary>
    private static int BudgetSeconds(JsonObject conf, string key, int min, int max, int fallback) =>
        conf[key] is JsonValue v && v.TryGetValue<int>(out var n) && n >= min && n <= max ? n : fallback;

    /// <summary>Every occurrence of <paramref name="needle"/> replaced.</summary>
    public static byte[] Replace(byte[] haystack, byte[] needle, byte[] with)
    {
        var output = new List<byte>(haystack.Length);
        var rest = haystack.AsSpan();
        int at;
        while ((at = rest.IndexOf(needle)) >= 0)
        {
            output.AddRange(rest[..at]);
            output.AddRange(with);
            rest = rest[(at + needle.Length)..];
        }
        output.AddRange(rest);
        return [.. output];
    }
}

/// <summary>A case ready to run: exactly what the plugin gets.</summary>
public sealed record BuiltCase(
    CaseRecipe Recipe,
    Feature Feature,
    string Command,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyDictionary<string, byte[]> RawEnv,
    IReadOnlyDictionary<string, string> HarnessEnv,
    byte[] Stdin,
    string CaseDir,
    IReadOnlyDictionary<string, CaseFile> Files,
    IReadOnlyList<string> Labels,
    int AddSeconds,
    int DelSeconds)
{
    /// <summary>The call's hard budget by its documented timeouts (ADD: its own plus the rollback's); a hang is no exit within it + 10 s.</summary>
    public TimeSpan HangLimit => TimeSpan.FromSeconds(10 + Command switch
    {
        "ADD" => AddSeconds + DelSeconds,
        "CHECK" => AddSeconds,
        "DEL" or "GC" => DelSeconds,
        _ => 0,
    });
}

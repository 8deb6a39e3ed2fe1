using System.Text.Json;
using EipCni.Plugin;

namespace EipCni.Node;

/// <summary>
/// The one line the plugin writes per CNI call (CniSkel.LogOutcome: <c>msg</c> "done" or "failed", <c>command</c>,
/// <c>ms</c>, <c>code</c> on failure, <c>summary</c>), as the agent's metrics read it.
/// </summary>
public sealed record CniLogLine(string Command, int Code, double? Milliseconds, bool EipWork)
{
    /// <summary>
    /// The call's outcome, or null for any other line (the engine's own lines, the agent's). Throws
    /// <see cref="JsonException"/> for a line that is not a JSON object.
    /// </summary>
    public static CniLogLine? Parse(ReadOnlySpan<byte> line)
    {
        using var doc = JsonDocument.Parse(line.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("the line is not a JSON object");
        if (String(root, "msg") is not ("done" or "failed") || String(root, "command") is not { Length: > 0 } command) return null;
        var code = root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) ? n : 0;
        if (code == 0 && String(root, "msg") == "failed") code = 999; // a failure line always carries its code; never count one as success
        double? ms = root.TryGetProperty("ms", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetDouble() : null;
        var summary = String(root, "summary");
        var eipWork = code != 0 || summary is not (EipPlugin.FeatureOffSummary or EipPlugin.NotAskedSummary);
        return new CniLogLine(command, code, ms, eipWork);
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

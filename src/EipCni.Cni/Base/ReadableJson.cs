using System.Text.Encodings.Web;
using System.Text.Json;

namespace EipCni;

/// <summary>Writer options for JSON that people read (CNI errors, log lines): <c>"</c> as <c>\"</c>, non-ASCII as is.</summary>
internal static class ReadableJson
{
    /// <summary>
    /// The default encoder escapes for HTML (<c>\u0022</c>, <c>\u0027</c>, every non-ASCII letter); these documents are
    /// never embedded in a page, so the relaxed encoder is safe and still writes valid JSON (control characters escaped).
    /// </summary>
    public static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonWriterOptions Indented = Compact with { Indented = true };
}

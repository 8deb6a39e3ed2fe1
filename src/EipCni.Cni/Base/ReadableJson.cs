using System.Text.Json;

namespace EipCni;

/// <summary>Writer options for every JSON document eip-cni writes (results, errors, log lines): <c>"</c> as <c>\"</c>, non-ASCII as is.</summary>
internal static class ReadableJson
{
    /// <summary>
    /// The default encoder escapes for HTML (<c>\u0022</c>, <c>\u0027</c>, every non-ASCII letter); these documents are
    /// never embedded in a page, so escaping only what JSON requires is safe (see <see cref="MinimalJsonEncoder"/>).
    /// </summary>
    public static readonly JsonWriterOptions Compact = new() { Encoder = MinimalJsonEncoder.Instance };

    public static readonly JsonWriterOptions Indented = Compact with { Indented = true };
}

using System.Text;
using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>A fieldSelector: comma-separated terms, all of which must hold; each is label=value, label==value or label!=value.</summary>
public sealed class FieldSelector
{
    private readonly List<(string Label, string Value, bool Equal)> _terms;

    private FieldSelector(List<(string, string, bool)> terms) => _terms = terms;

    public static readonly FieldSelector Everything = new([]);

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>The name a metadata.name=X term pins, which the authorizer treats as the request's name.</summary>
    public string? Name => _terms.Where(t => t.Equal && t.Label == "metadata.name").Select(t => t.Value).FirstOrDefault();

    /// <summary>Parses the selector and converts its labels for the type; an unknown label is the apiserver's 400.</summary>
    public static FieldSelector Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrEmpty(text)) return Everything;
        var terms = new List<(string, string, bool)>();
        foreach (var term in SplitUnescaped(text, ','))
        {
            if (term.Length == 0) continue;
            var (label, value, equal) = ParseTerm(term, text);
            var canonical = type.CanonicalFieldLabel(label) ?? throw ApiError.BadRequest($"field label not supported: {label}");
            terms.Add((canonical, value, equal));
        }
        return new FieldSelector(terms);
    }

    public bool Matches(JsonObject obj, ResourceType type) =>
        _terms.All(t => (type.FieldValue(obj, t.Label) == t.Value) == t.Equal);

    private static (string Label, string Value, bool Equal) ParseTerm(string term, string whole)
    {
        // The operator is the first unescaped "!=", "==" or "="; a backslash escapes the next character in the value.
        for (var i = 0; i < term.Length; i++)
        {
            if (term[i] == '\\') { i++; continue; }
            var (length, equal) = term[i] switch
            {
                '!' when i + 1 < term.Length && term[i + 1] == '=' => (2, false),
                '=' when i + 1 < term.Length && term[i + 1] == '=' => (2, true),
                '=' => (1, true),
                _ => (0, true),
            };
            if (length == 0) continue;
            return (term[..i], Unescape(term[(i + length)..], whole), equal);
        }
        throw ApiError.BadRequest($"invalid selector: '{whole}'; can't understand '{term}'");
    }

    private static IEnumerable<string> SplitUnescaped(string text, char separator)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\') { i++; continue; }
            if (text[i] != separator) continue;
            yield return text[start..i];
            start = i + 1;
        }
        yield return text[start..];
    }

    private static string Unescape(string value, string whole)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\') { sb.Append(value[i]); continue; }
            if (i + 1 >= value.Length || value[i + 1] is not ('\\' or ',' or '='))
                throw ApiError.BadRequest($"invalid field selector: '{whole}': invalid escape sequence");
            sb.Append(value[++i]);
        }
        return sb.ToString();
    }
}

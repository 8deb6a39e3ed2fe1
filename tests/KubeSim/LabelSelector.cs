using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KubeSim;

/// <summary>A labelSelector: comma-separated requirements, all of which must hold (k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b), k&gt;n, k&lt;n).</summary>
public sealed partial class LabelSelector
{
    private readonly List<Func<JsonObject?, bool>> _requirements;

    private LabelSelector(List<Func<JsonObject?, bool>> requirements) => _requirements = requirements;

    public static readonly LabelSelector Everything = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        return _requirements.All(r => r(labels));
    }

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var requirements = new List<Func<JsonObject?, bool>>();
        foreach (var part in SplitOutsideParentheses(text))
            requirements.Add(ParseRequirement(part.Trim()));
        return new LabelSelector(requirements);
    }

    private static string? Label(JsonObject? labels, string key) =>
        labels is not null && labels.TryGetPropertyValue(key, out var v) && v is JsonValue s ? s.ToString() : null;

    private static Func<JsonObject?, bool> ParseRequirement(string text)
    {
        if (text.Length == 0) throw Unparsable(text, "found '', expected: identifier");
        if (text[0] == '!')
        {
            var key = Key(text[1..].Trim());
            return labels => Label(labels, key) is null;
        }
        var set = SetRequirement().Match(text);
        if (set.Success)
        {
            var key = Key(set.Groups[1].Value);
            if (set.Groups[3].Value.Trim().Length == 0) throw Unparsable(text, "for 'in', 'notin' operators, values set can't be empty");
            var values = set.Groups[3].Value.Split(',').Select(v => Value(v.Trim())).ToHashSet(StringComparer.Ordinal);
            if (set.Groups[2].Value == "in") return labels => Label(labels, key) is { } v && values.Contains(v);
            return labels => Label(labels, key) is not { } v || !values.Contains(v);
        }
        foreach (var op in new[] { "!=", "==", "=", ">", "<" })
        {
            var at = text.IndexOf(op, StringComparison.Ordinal);
            if (at < 0) continue;
            var key = Key(text[..at].Trim());
            var value = text[(at + op.Length)..].Trim();
            switch (op)
            {
                case "!=": { var v = Value(value); return labels => Label(labels, key) != v; }
                case ">" or "<":
                    if (!long.TryParse(value, out var bound)) throw Unparsable(text, $"for 'Gt', 'Lt' operators, the value must be an integer");
                    return labels => Label(labels, key) is { } v && long.TryParse(v, out var n) && (op == ">" ? n > bound : n < bound);
                default: { var v = Value(value); return labels => Label(labels, key) == v; }
            }
        }
        var exists = Key(text);
        return labels => Label(labels, exists) is not null;
    }

    private static string Key(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        var prefix = slash < 0 ? "" : key[..slash];
        if (name.Length is 0 or > 63 || !NamePart().IsMatch(name) || slash >= 0 && (prefix.Length is 0 or > 253 || !DnsSubdomain().IsMatch(prefix)))
            throw Unparsable(key, $"Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
        return key;
    }

    private static string Value(string value)
    {
        if (value.Length > 63 || value.Length > 0 && !NamePart().IsMatch(value))
            throw Unparsable(value, $"Invalid value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
        return value;
    }

    private static ApiError Unparsable(string text, string why) => ApiError.BadRequest($"unable to parse requirement: {why} (in \"{text}\")");

    private static IEnumerable<string> SplitOutsideParentheses(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    [GeneratedRegex(@"^\s*([^\s!=<>()]+)\s+(in|notin)\s*\(([^()]*)\)\s*$")]
    private static partial Regex SetRequirement();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex NamePart();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace AliyunSim.Api;

/// <summary>The flat OpenAPI parameters of one request (query and form body merged) with typed, validating readers.</summary>
public sealed partial class ApiParams(IReadOnlyDictionary<string, string> values)
{
    public IReadOnlyDictionary<string, string> Values { get; } = values;

    /// <summary>The value, or null when absent. An empty value counts as absent, like the SDK that never sends empty strings.</summary>
    public string? Get(string name) => Values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public string Required(string name) => Get(name) ?? throw Errors.Missing(name);

    public int? Int(string name, int min, int max)
    {
        var raw = Get(name);
        if (raw is null) return null;
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw Errors.Invalid(name, $"'{raw}' must be an integer in {min}..{max}");
        return v;
    }

    public bool? Bool(string name)
    {
        var raw = Get(name);
        if (raw is null) return null;
        return raw.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Errors.Invalid(name, $"'{raw}' must be true or false"),
        };
    }

    public string? OneOf(string name, params string[] allowed)
    {
        var raw = Get(name);
        if (raw is not null && !allowed.Contains(raw, StringComparer.Ordinal))
            throw Errors.Invalid(name, $"'{raw}' is not one of {string.Join(", ", allowed)}");
        return raw;
    }

    /// <summary>A RepeatList <c>Name.1</c>, <c>Name.2</c>, ... in index order; indices must lie in 1..<paramref name="max"/>.</summary>
    public List<string> List(string name, int max)
    {
        var result = new SortedDictionary<int, string>();
        foreach (var (key, value) in Values)
        {
            var m = RepeatKey().Match(key);
            if (!m.Success || m.Groups[1].Value != name) continue;
            var index = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (index < 1 || index > max) throw Errors.Invalid(key, $"the index must be in 1..{max}");
            if (value.Length > 0) result[index] = value;
        }
        return [.. result.Values];
    }

    /// <summary><c>Tag.N.Key</c> / <c>Tag.N.Value</c> pairs in index order.</summary>
    public List<KeyValuePair<string, string>> Tags(int max)
    {
        var keys = new SortedDictionary<int, string>();
        var vals = new Dictionary<int, string>();
        foreach (var (key, value) in Values)
        {
            var m = TagKey().Match(key);
            if (!m.Success) continue;
            var index = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (index < 1 || index > max) throw Errors.Invalid(key, $"the tag index must be in 1..{max}");
            if (m.Groups[2].Value == "Key") keys[index] = value; else vals[index] = value;
        }
        foreach (var index in vals.Keys)
            if (!keys.ContainsKey(index)) throw Errors.Missing($"Tag.{index}.Key");
        return keys.Select(k => new KeyValuePair<string, string>(k.Value, vals.GetValueOrDefault(k.Key, ""))).ToList();
    }

    [GeneratedRegex(@"^([A-Za-z]+)\.(\d+)$")]
    private static partial Regex RepeatKey();

    [GeneratedRegex(@"^Tag\.(\d+)\.(Key|Value)$")]
    private static partial Regex TagKey();
}

using System.Collections;
using System.Globalization;

namespace EipCni.Cloud;

/// <summary>The flat key/value parameters of one RPC call; unset values are left out, lists are flattened 1-based.</summary>
public sealed class RpcParameters : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _items = [];

    /// <summary>Adds <paramref name="key"/> unless <paramref name="value"/> is null (an empty string is sent as <c>key=</c>).</summary>
    public RpcParameters Add(string key, string? value)
    {
        if (value is null) return this;
        if (_items.Any(i => i.Key == key)) throw new ArgumentException($"parameter {key} given twice", nameof(key));
        _items.Add(new(key, value));
        return this;
    }

    public RpcParameters Add(string key, int? value) => Add(key, value?.ToString(CultureInfo.InvariantCulture));

    public RpcParameters Add(string key, bool? value) => Add(key, value is null ? null : value.Value ? "true" : "false");

    /// <summary>A repeat list: <c>prefix.1</c>, <c>prefix.2</c>, ...</summary>
    public RpcParameters AddList(string prefix, IEnumerable<string>? values)
    {
        var n = 0;
        foreach (var v in values ?? []) Add($"{prefix}.{++n}", v);
        return this;
    }

    /// <summary>A list of key/value objects: <c>prefix.1.Key</c>, <c>prefix.1.Value</c>, ...</summary>
    public RpcParameters AddTags(string prefix, IEnumerable<KeyValuePair<string, string>>? tags)
    {
        var n = 0;
        foreach (var (key, value) in tags ?? [])
        {
            n++;
            Add($"{prefix}.{n}.Key", key);
            Add($"{prefix}.{n}.Value", value);
        }
        return this;
    }

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public string? this[string key] => _items.FirstOrDefault(i => i.Key == key).Value;

    public int Count => _items.Count;

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

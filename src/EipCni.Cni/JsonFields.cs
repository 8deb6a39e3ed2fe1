using System.Text.Json;

namespace EipCni.Cni;

/// <summary>Typed reads of optional config keys; a wrong type or value is code 7 naming the key and the value.</summary>
internal static class JsonFields
{
    public static string? OptionalString(JsonElement obj, string key, string where, bool secret = false)
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw WrongType(where + key, v, "a string", secret);
        return v.GetString();
    }

    public static int? OptionalInt(JsonElement obj, string key, string where, int min, int max)
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < min || n > max)
            throw WrongType(where + key, v, $"an integer from {min} to {max}");
        return n;
    }

    /// <summary>Terway writes these flags as strings ("true"); operators write JSON booleans. Both are accepted.</summary>
    public static bool? OptionalFlag(JsonElement obj, string key, string where)
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when v.GetString() == "true" => true,
            JsonValueKind.String when v.GetString() == "false" => false,
            _ => throw WrongType(where + key, v, "\"true\", true, \"false\" or false"),
        };
    }

    public static JsonElement? OptionalObject(JsonElement obj, string key, string where)
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) throw WrongType(where + key, v, "an object");
        return v;
    }

    public static CniException WrongType(string key, JsonElement value, string expected, bool secret = false) =>
        new(CniCode.InvalidConfig, $"invalid value for \"{key}\"",
            $"\"{key}\" is {(secret ? "(value hidden)" : Describe(value))}; expected {expected}");

    /// <summary>A short, safe rendering of a JSON value for an error message.</summary>
    public static string Describe(JsonElement value)
    {
        var raw = value.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => value.GetRawText(),
        };
        return raw.Length > 80 ? raw[..80] + "…" : raw;
    }
}

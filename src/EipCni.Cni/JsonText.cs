using System.Text.Json;

namespace EipCni.Cni;

/// <summary>
/// JSON that parses but cannot be read as text: an escaped lone surrogate ("\udfff") is valid JSON syntax, yet no
/// .NET string can hold it, so every later read of that value would throw. Checked once, right after parsing.
/// </summary>
public static class JsonText
{
    /// <summary>Null when every string and property name decodes; else where the first one that does not starts.</summary>
    public static string? FirstUndecodableString(ReadOnlySpan<byte> json)
    {
        // Only a \u escape can spell a lone surrogate: without one (nearly every config) there is nothing to walk.
        if (json.IndexOf("\\u"u8) < 0) return null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try
            {
                _ = reader.GetString();
            }
            catch (InvalidOperationException)
            {
                var what = reader.TokenType == JsonTokenType.PropertyName ? "a key" : "a string";
                return $"{what} at byte {reader.TokenStartIndex} holds an escaped lone surrogate (a \\uD800-\\uDFFF escape without its pair), which is not text";
            }
        }
        return null;
    }
}

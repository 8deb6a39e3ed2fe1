using System.Text.Json;

namespace EipCni.Http;

/// <summary>
/// What a JSON answer would become in memory, checked before it is deserialized: a few MiB of <c>{},{},…</c> are a
/// million objects. Counts the objects and arrays, and the entries of the largest one.
/// </summary>
public static class JsonShape
{
    /// <summary>Objects and arrays in <paramref name="json"/>, and the most entries any one of them has; both 0 when it is not JSON.</summary>
    public static (int Containers, int MostItems) Measure(ReadOnlySpan<byte> json)
    {
        // Deeper than the deserializers' own limit is refused by them anyway (and by the reader here).
        Span<int> items = stackalloc int[65];
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        int containers = 0, most = 0;
        try
        {
            while (reader.Read())
            {
                var depth = reader.CurrentDepth;
                switch (reader.TokenType)
                {
                    case JsonTokenType.EndObject or JsonTokenType.EndArray or JsonTokenType.PropertyName or JsonTokenType.Comment:
                        continue;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        containers++;
                        items[depth] = 0;
                        break;
                }
                if (depth > 0 && ++items[depth - 1] > most) most = items[depth - 1];
            }
        }
        catch (JsonException)
        {
            return (0, 0); // not JSON: the deserializer says why
        }
        return (containers, most);
    }
}

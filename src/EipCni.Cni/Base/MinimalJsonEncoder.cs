using System.Text.Encodings.Web;

namespace EipCni;

/// <summary>
/// Escapes only what JSON requires (RFC 8259 §7): <c>"</c>, <c>\</c> and control characters, plus U+007F–U+009F,
/// U+2028/U+2029 and anything that is not a valid scalar (written as <c>\uFFFD</c>), so every line stays one line
/// for any reader. Everything else, non-ASCII included, is written as it is.
/// </summary>
/// <remarks>
/// Replaces <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> for the same purpose: that encoder builds a
/// 64 K-character table on first use, measured at 5% of a pass-through ADD's CPU time, paid by every pod for its one
/// log line. This one needs no table.
/// </remarks>
public sealed class MinimalJsonEncoder : JavaScriptEncoder
{
    public static readonly MinimalJsonEncoder Instance = new();

    private MinimalJsonEncoder()
    {
    }

    public override int MaxOutputCharactersPerInputCharacter => 6; // \uXXXX

    public override bool WillEncode(int unicodeScalar) =>
        unicodeScalar < 0x20 || unicodeScalar == '"' || unicodeScalar == '\\' || unicodeScalar is >= 0x7F and <= 0x9F
        || unicodeScalar is 0x2028 or 0x2029 || unicodeScalar is >= 0xD800 and <= 0xDFFF || unicodeScalar > 0x10FFFF;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (var i = 0; i < textLength; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < textLength && char.IsLowSurrogate(text[i + 1]))
            {
                i++; // a valid pair: written as it is
                continue;
            }
            if (WillEncode(c)) return i;
        }
        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var escape = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\b' => "\\b",
            '\f' => "\\f",
            _ => null,
        };
        if (escape is null && !WillEncode(unicodeScalar))
        {
            // Not ours to escape (a scalar outside the BMP, say): write it as it is.
            var rune = new System.Text.Rune(unicodeScalar);
            if (bufferLength < rune.Utf16SequenceLength)
            {
                numberOfCharactersWritten = 0;
                return false;
            }
            numberOfCharactersWritten = rune.EncodeToUtf16(new Span<char>(buffer, bufferLength));
            return true;
        }
        if (escape is null)
        {
            var value = unicodeScalar is >= 0xD800 and <= 0xDFFF or > 0x10FFFF ? 0xFFFD : unicodeScalar;
            escape = $"\\u{value:X4}";
        }
        if (bufferLength < escape.Length)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        escape.AsSpan().CopyTo(new Span<char>(buffer, bufferLength));
        numberOfCharactersWritten = escape.Length;
        return true;
    }
}

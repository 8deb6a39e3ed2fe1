using System.Numerics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CniFuzzer;

/// <summary>What a key of a JSON object holds, as the oracle sees it: absent (or null), one value, or several (a duplicate key).</summary>
public readonly record struct Field(bool Present, bool Ambiguous, JsonElement Value)
{
    public bool Unique => Present && !Ambiguous;
}

/// <summary>Strict, independent reads of JSON for the oracle and the judge; never the product's code.</summary>
public static partial class JsonView
{
    /// <summary>The key's value; a JSON null counts as absent. Duplicate keys with different values are ambiguous.</summary>
    public static Field Get(JsonElement obj, string key)
    {
        if (obj.ValueKind != JsonValueKind.Object) return default;
        JsonElement? found = null;
        var ambiguous = false;
        foreach (var p in obj.EnumerateObject())
        {
            if (!NameIs(p, key)) continue;
            if (found is { } f && f.GetRawText() != p.Value.GetRawText()) ambiguous = true;
            found = p.Value;
        }
        if (found is not { } v) return default;
        if (ambiguous) return new Field(true, true, v);
        return v.ValueKind == JsonValueKind.Null ? default : new Field(true, false, v);
    }

    /// <summary>Compares a key's name; a name that is not valid Unicode (a lone surrogate escape) matches nothing.</summary>
    public static bool NameIs(JsonProperty p, string name)
    {
        try
        {
            return p.NameEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The string, or null when it is not a string or not valid Unicode (a lone surrogate escape).</summary>
    public static string? Text(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.String) return null;
        try
        {
            return e.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>True when the element is a JSON string that is not valid Unicode.</summary>
    public static bool IsBrokenText(JsonElement e) => e.ValueKind == JsonValueKind.String && Text(e) is null;

    /// <summary>An integer number written as digits only, or null (fractions, exponents and non-numbers are not).</summary>
    public static BigInteger? PlainInteger(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && PlainIntegerPattern().IsMatch(e.GetRawText())
            ? BigInteger.Parse(e.GetRawText(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : null;

    /// <summary>A number that is certainly not an integer (1.5), or certainly huge (1e999); "1E2" and "1.0" are neither.</summary>
    public static bool CertainlyNotAnInteger(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || PlainInteger(e) is not null) return false;
        var d = double.Parse(e.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsInfinity(d) || Math.Abs(d) > 1e15 || d != Math.Floor(d);
    }

    /// <summary>
    /// An integer key with a documented range: a non-number, a fraction or a plain integer outside the range is certainly
    /// invalid; an integral number written with an exponent or a fraction ("1E2", "1.0") is left undecided.
    /// </summary>
    public static bool CertainlyOutOfRange(JsonElement e, int min, int max)
    {
        if (e.ValueKind != JsonValueKind.Number) return true;
        if (PlainInteger(e) is { } n) return n < min || n > max;
        if (CertainlyNotAnInteger(e)) return true;
        var d = double.Parse(e.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
        return d < min || d > max;
    }

    /// <summary>Strict CIDR: dotted-quad IPv4 (no leading zeros) with /0–32, or IPv6 with /0–128.</summary>
    public static bool IsCidr(string s)
    {
        var slash = s.IndexOf('/');
        if (slash <= 0 || slash != s.LastIndexOf('/')) return false;
        var (ip, prefix) = (s[..slash], s[(slash + 1)..]);
        if (!PrefixPattern().IsMatch(prefix)) return false;
        var bits = int.Parse(prefix, CultureInfo.InvariantCulture);
        if (Ipv4Pattern().IsMatch(ip)) return ip.Split('.').All(o => int.Parse(o, CultureInfo.InvariantCulture) <= 255) && bits <= 32;
        return ip.Contains(':') && System.Net.IPAddress.TryParse(ip, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && bits <= 128;
    }

    public static bool IsIpv4Cidr(string s) => IsCidr(s) && !s.Contains(':');

    [GeneratedRegex(@"^-?[0-9]+$")]
    private static partial Regex PlainIntegerPattern();

    [GeneratedRegex(@"^(0|[1-9][0-9]{0,2})$")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex(@"^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$")]
    private static partial Regex Ipv4Pattern();
}

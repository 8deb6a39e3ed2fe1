using System.Net;
using System.Net.Sockets;

namespace EipCni;

/// <summary>
/// IP addresses in text, read as Go's net package reads them: dotted decimal IPv4 only, and no leading zeros
/// (<c>10.0.1.014</c> is refused; .NET's own parser reads it as octal 12), IPv6 without a zone. What the runtime's Go
/// code accepts and what we bind must be the same address.
/// </summary>
public static class IpText
{
    /// <summary>Four decimal octets 0–255 without leading zeros.</summary>
    public static bool TryParseV4(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = null!; // not IPAddress.None: its static constructor costs the hot path ~10 K instructions
        Span<byte> octets = stackalloc byte[4];
        var part = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            var value = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]) && i - start < 3)
                value = value * 10 + (text[i++] - '0');
            var digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return false;
            octets[part++] = (byte)value;
            if (part == 4) break;
            if (i >= text.Length || text[i] != '.') return false;
            i++;
        }
        if (i != text.Length) return false;
        address = new IPAddress(octets);
        return true;
    }

    /// <summary>A strict IPv4 (<see cref="TryParseV4"/>), or an IPv6 address without zone or brackets (an embedded IPv4 is strict too).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IPAddress address)
    {
        if (!text.Contains(':')) return TryParseV4(text, out address);
        address = null!; // not IPAddress.None: its static constructor costs the hot path ~10 K instructions
        foreach (var c in text)
            if (!(char.IsAsciiHexDigit(c) || c is ':' or '.')) return false;
        var lastColon = text.LastIndexOf(':');
        if (text[(lastColon + 1)..].Contains('.') && !TryParseV4(text[(lastColon + 1)..], out _)) return false;
        if (!IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6) return false;
        address = parsed;
        return true;
    }

    /// <summary>"address/prefix" (host bits may be set, as in a CNI result); the prefix in decimal, within the family's length.</summary>
    public static bool TryParseCidr(ReadOnlySpan<char> text, out IPAddress address, out int prefix)
    {
        prefix = -1;
        var slash = text.IndexOf('/');
        if (slash < 0 || !TryParse(text[..slash], out address)) { address = null!; return false; }
        var bits = text[(slash + 1)..];
        // Go's ParseCIDR reads the length as decimal digits (leading zeros included); so do we.
        if (bits.Length is 0 or > 3) return false;
        var n = 0;
        foreach (var c in bits)
        {
            if (!char.IsAsciiDigit(c)) return false;
            n = n * 10 + (c - '0');
        }
        if (n > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)) return false;
        prefix = n;
        return true;
    }
}

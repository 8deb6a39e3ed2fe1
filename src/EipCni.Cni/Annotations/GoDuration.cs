using System.Globalization;
using System.Text;

namespace EipCni.Cni;

/// <summary>
/// Go's time.Duration text form: ParseDuration's grammar <c>[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+</c> and String()'s canonical
/// output, so users can write what they know from Go tools (<c>10m</c>, <c>1h30m</c>, <c>1.5h</c>).
/// </summary>
/// <remarks>
/// Go counts nanoseconds and TimeSpan counts 100 ns ticks: a parsed value is truncated toward zero to whole ticks.
/// </remarks>
public static class GoDuration
{
    private const ulong Nanosecond = 1;
    private const ulong Microsecond = 1000 * Nanosecond;
    private const ulong Millisecond = 1000 * Microsecond;
    private const ulong Second = 1000 * Millisecond;
    private const ulong Minute = 60 * Second;
    private const ulong Hour = 60 * Minute;
    private const ulong SignBit = 1UL << 63; // |long.MinValue|: the largest magnitude a (negative) Duration can hold

    /// <summary>Parses a Go duration string; false when Go's time.ParseDuration would return an error.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (!TryParseNanoseconds(text, out var ns)) return false;
        value = TimeSpan.FromTicks(ns / 100);
        return true;
    }

    /// <summary>The exact Go value in nanoseconds (what time.ParseDuration returns).</summary>
    internal static bool TryParseNanoseconds(string? text, out long nanoseconds)
    {
        nanoseconds = 0;
        if (text is null) return false;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s is "0") return true; // Go's special case: a bare zero needs no unit
        if (s.IsEmpty) return false;

        ulong total = 0;
        while (!s.IsEmpty)
        {
            if (s[0] != '.' && !char.IsAsciiDigit(s[0])) return false;

            var before = s.Length;
            if (!TryLeadingInt(ref s, out var whole)) return false;
            var hasWhole = s.Length != before;

            ulong fraction = 0;
            double scale = 1;
            var hasFraction = false;
            if (!s.IsEmpty && s[0] == '.')
            {
                s = s[1..];
                before = s.Length;
                LeadingFraction(ref s, out fraction, out scale);
                hasFraction = s.Length != before;
            }
            if (!hasWhole && !hasFraction) return false; // ".s", "-."

            var unitLength = 0;
            while (unitLength < s.Length && s[unitLength] != '.' && !char.IsAsciiDigit(s[unitLength])) unitLength++;
            if (unitLength == 0) return false; // missing unit
            var unit = UnitNanoseconds(s[..unitLength]);
            s = s[unitLength..];
            if (unit == 0) return false;

            if (whole > SignBit / unit) return false;
            var v = whole * unit;
            if (fraction > 0)
            {
                // Go computes the fraction in float64 (nanosecond-accurate up to hours); doing the same keeps results identical.
                v += (ulong)(fraction * (unit / scale));
                if (v > SignBit) return false;
            }
            total += v;
            if (total > SignBit) return false;
        }

        if (negative)
        {
            nanoseconds = total == SignBit ? long.MinValue : -(long)total;
            return true;
        }
        if (total > long.MaxValue) return false;
        nanoseconds = (long)total;
        return true;
    }

    /// <summary>Go's canonical text (time.Duration.String): "0s", "300ms", "1.5µs", "10m0s", "1h30m0s", "-1h0m0s".</summary>
    public static string Format(TimeSpan value)
    {
        var ticks = value.Ticks;
        if (ticks == 0) return "0s";
        var magnitude = ticks < 0 ? (ulong)(-(ticks + 1)) + 1 : (ulong)ticks;
        var sb = new StringBuilder(24);
        if (ticks < 0) sb.Append('-');

        if (magnitude < TimeSpan.TicksPerSecond)
        {
            // Below one second Go switches to the largest unit that keeps an integer part: ns, µs or ms.
            var ns = magnitude * 100;
            if (ns < Microsecond) return sb.Append(ns).Append("ns").ToString();
            if (ns < Millisecond) return AppendFraction(sb, ns, 3).Append("µs").ToString();
            return AppendFraction(sb, ns, 6).Append("ms").ToString();
        }

        var seconds = magnitude / TimeSpan.TicksPerSecond;
        var fractionNs = magnitude % TimeSpan.TicksPerSecond * 100;
        var hours = seconds / 3600;
        var minutes = seconds / 60 % 60;
        if (hours > 0) sb.Append(hours).Append('h');
        if (hours > 0 || minutes > 0) sb.Append(minutes).Append('m');
        sb.Append(seconds % 60);
        AppendFractionDigits(sb, fractionNs, 9);
        return sb.Append('s').ToString();
    }

    private static StringBuilder AppendFraction(StringBuilder sb, ulong value, int digits)
    {
        ulong divisor = 1;
        for (var i = 0; i < digits; i++) divisor *= 10;
        sb.Append(value / divisor);
        AppendFractionDigits(sb, value % divisor, digits);
        return sb;
    }

    /// <summary>Appends ".ddd" with trailing zeros dropped, nothing when the fraction is zero.</summary>
    private static void AppendFractionDigits(StringBuilder sb, ulong fraction, int digits)
    {
        if (fraction == 0) return;
        var text = fraction.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        sb.Append('.').Append(text);
    }

    private static bool TryLeadingInt(ref ReadOnlySpan<char> s, out ulong value)
    {
        value = 0;
        var i = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            if (value > SignBit / 10) return false;
            value = value * 10 + (ulong)(s[i] - '0');
            if (value > SignBit) return false;
        }
        s = s[i..];
        return true;
    }

    /// <summary>Digits after the point; like Go, digits past 63 bits of precision are read but ignored.</summary>
    private static void LeadingFraction(ref ReadOnlySpan<char> s, out ulong value, out double scale)
    {
        value = 0;
        scale = 1;
        var overflow = false;
        var i = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            if (overflow) continue;
            if (value > (SignBit - 1) / 10)
            {
                overflow = true;
                continue;
            }
            var next = value * 10 + (ulong)(s[i] - '0');
            if (next > SignBit)
            {
                overflow = true;
                continue;
            }
            value = next;
            scale *= 10;
        }
        s = s[i..];
    }

    /// <summary>Nanoseconds per unit, 0 for an unknown unit. Both micro signs are accepted, as in Go.</summary>
    private static ulong UnitNanoseconds(ReadOnlySpan<char> unit) => unit switch
    {
        "ns" => Nanosecond,
        "us" or "\u00b5s" or "\u03bcs" => Microsecond,
        "ms" => Millisecond,
        "s" => Second,
        "m" => Minute,
        "h" => Hour,
        _ => 0,
    };
}

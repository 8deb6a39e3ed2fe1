using EipCni.Cni;
using EipCni.Eip;

namespace EipCni.Tests.Eip;

/// <summary>Go's time.ParseDuration and Duration.String, checked against the values Go itself gives.</summary>
public class GoDurationTests
{
    private const long Ns = 1, Us = 1000 * Ns, Ms = 1000 * Us, S = 1000 * Ms, M = 60 * S, H = 60 * M;

    public static TheoryData<string, long> Valid() => new()
    {
        { "0", 0 },
        { "+0", 0 },
        { "-0", 0 },
        { "0s", 0 },
        { "5s", 5 * S },
        { "30s", 30 * S },
        { "1478s", 1478 * S },
        { "-5s", -5 * S },
        { "+5s", 5 * S },
        { "5.0s", 5 * S },
        { "5.6s", 5 * S + 600 * Ms },
        { "5.s", 5 * S },
        { ".5s", 500 * Ms },
        { "1.004s", 1 * S + 4 * Ms },
        { "1.0040s", 1 * S + 4 * Ms },
        { "100.00100s", 100 * S + 1 * Ms },
        { "10ns", 10 * Ns },
        { "11us", 11 * Us },
        { "12\u00b5s", 12 * Us },
        { "12\u03bcs", 12 * Us },
        { "13ms", 13 * Ms },
        { "300ms", 300 * Ms },
        { "15m", 15 * M },
        { "16h", 16 * H },
        { "1h", 1 * H },
        { "10m", 10 * M },
        { "5m30s", 5 * M + 30 * S },
        { "1.5h", 90 * M },
        { "-1.5h", -90 * M },
        { "2h45m", 2 * H + 45 * M },
        { "3h30m", 3 * H + 30 * M },
        { "10.5s4m", 4 * M + 10 * S + 500 * Ms },
        { "-2m3.4s", -(2 * M + 3 * S + 400 * Ms) },
        { "1h2m3s4ms5us6ns", 1 * H + 2 * M + 3 * S + 4 * Ms + 5 * Us + 6 * Ns },
        { "39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * Ms },
        { "1h15m30.918273645s", 1 * H + 15 * M + 30 * S + 918273645 * Ns },
        { "52763797000ns", 52763797000 * Ns },
        { "8760h", 8760 * H },
        { "0.3333333333333333333h", 20 * M },
        { "0.100000000000000000000h", 6 * M },
        { "0.830103483285477580700h", 49 * M + 48 * S + 372539827 * Ns },
        { "9007199254740993ns", (1L << 53) + 1 },
        { "9223372036854775807ns", long.MaxValue },
        { "9223372036854775.807us", long.MaxValue },
        { "9223372036.854775807s", long.MaxValue },
        { "-9223372036854775808ns", long.MinValue },
        { "-9223372036.854775808s", long.MinValue },
        { "-2562047h47m16.854775808s", long.MinValue },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parses_like_go(string text, long nanoseconds)
    {
        Assert.True(GoDuration.TryParseNanoseconds(text, out var ns), text);
        Assert.Equal(nanoseconds, ns);
        Assert.True(GoDuration.TryParse(text, out var span), text);
        Assert.Equal(TimeSpan.FromTicks(nanoseconds / 100), span); // TimeSpan keeps whole 100 ns ticks
    }

    [Theory]
    [InlineData("")]
    [InlineData("3")]
    [InlineData("10")]
    [InlineData("00")]
    [InlineData("-")]
    [InlineData("+")]
    [InlineData("s")]
    [InlineData(".")]
    [InlineData("-.")]
    [InlineData(".s")]
    [InlineData("+.s")]
    [InlineData("1d")]
    [InlineData("1w")]
    [InlineData("1H")]
    [InlineData("1S")]
    [InlineData("1sec")]
    [InlineData("1 s")]
    [InlineData(" 1s")]
    [InlineData("1s ")]
    [InlineData("1h-30m")]
    [InlineData("--1s")]
    [InlineData("1..5s")]
    [InlineData("1.5.5s")]
    [InlineData("1e3s")]
    [InlineData("\u0085\u0085")]
    [InlineData("hello \uffff world")]
    [InlineData("\uff11s")] // a full-width digit is not a digit to Go
    [InlineData("9223372036854775808ns")]
    [InlineData("9223372036854775.808us")]
    [InlineData("9223372036.854775808s")]
    [InlineData("2562048h")]
    [InlineData("2562047h47m16.854775808s")]
    [InlineData("-9223372036854775809ns")]
    [InlineData("-9223372036.854775809s")]
    [InlineData("-2562047h47m16.854775809s")]
    [InlineData("99999999999999999999ns")]
    [InlineData(null)]
    public void Rejects_what_go_rejects(string? text)
    {
        Assert.False(GoDuration.TryParseNanoseconds(text, out _));
        Assert.False(GoDuration.TryParse(text, out _));
    }

    public static TheoryData<string, long> Formats() => new()
    {
        { "0s", 0 },
        { "100ns", 100 * Ns },
        { "1.1\u00b5s", 1100 * Ns },
        { "2.2ms", 2200 * Us },
        { "300ms", 300 * Ms },
        { "999.9999ms", S - 100 * Ns },
        { "1s", 1 * S },
        { "3.3s", 3300 * Ms },
        { "4m5s", 4 * M + 5 * S },
        { "4m5.001s", 4 * M + 5001 * Ms },
        { "5h6m7.001s", 5 * H + 6 * M + 7001 * Ms },
        { "8m0.0000001s", 8 * M + 100 * Ns },
        { "10m0s", 10 * M },
        { "5m30s", 5 * M + 30 * S },
        { "1h0m0s", 1 * H },
        { "1h30m0s", 90 * M },
        { "2h45m0s", 2 * H + 45 * M },
        { "1h15m30.9182736s", 1 * H + 15 * M + 30 * S + 918273600 * Ns },
        { "8760h0m0s", 8760 * H },
        { "-1h30m0s", -90 * M },
        { "-300ms", -300 * Ms },
        { "-100ns", -100 * Ns },
        { "2562047h47m16.8547758s", long.MaxValue / 100 * 100 },
        { "-2562047h47m16.8547758s", long.MinValue / 100 * 100 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Formats_like_go(string expected, long nanoseconds)
    {
        var span = TimeSpan.FromTicks(nanoseconds / 100);
        Assert.Equal(expected, GoDuration.Format(span));
        // Go's String output parses back to the same value.
        Assert.True(GoDuration.TryParse(expected, out var back));
        Assert.Equal(span, back);
    }

    [Fact]
    public void Formats_values_beyond_gos_range_without_overflow()
    {
        Assert.Equal("-256204778h48m5.4775808s", GoDuration.Format(TimeSpan.MinValue));
        Assert.Equal("256204778h48m5.4775807s", GoDuration.Format(TimeSpan.MaxValue));
    }
}

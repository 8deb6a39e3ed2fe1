using System.Text.RegularExpressions;
using EipCni.Node;

namespace EipCni.Tests.Node;

/// <summary>The hand-written Prometheus text exposition (format 0.0.4), checked byte for byte and line by line against the format's grammar.</summary>
public sealed partial class MetricsExpositionTests
{
    [Fact]
    public void Golden_exposition_of_each_kind()
    {
        var r = new MetricsRegistry();
        var calls = r.Counter("eipcni_test_calls_total", "Calls with a \\ backslash\nand a new line.", "command", "code");
        calls.Inc("DEL", "11");
        calls.Inc("ADD", "0");
        calls.Add(2, "ADD", "0");
        var records = r.Gauge("eipcni_test_records", "Records.", "phase");
        records.Set(3, "Bound");
        records.Set(double.NaN, "a\"b\\c\nd");
        var latency = r.Histogram("eipcni_test_seconds", "Latency.", [0.1, 1, 10], "work");
        latency.Observe(0.05, "eip");
        latency.Observe(0.1, "eip"); // on a bound: counted in that bucket (le is inclusive)
        latency.Observe(5, "eip");
        latency.Observe(20, "eip");
        r.Counter("eipcni_test_plain_total", "Without labels: there from the start.");
        r.Gauge("eipcni_test_inf", "Infinities.").Set(double.PositiveInfinity);

        Assert.Equal("""
            # HELP eipcni_test_calls_total Calls with a \\ backslash\nand a new line.
            # TYPE eipcni_test_calls_total counter
            eipcni_test_calls_total{command="ADD",code="0"} 3
            eipcni_test_calls_total{command="DEL",code="11"} 1
            # HELP eipcni_test_records Records.
            # TYPE eipcni_test_records gauge
            eipcni_test_records{phase="Bound"} 3
            eipcni_test_records{phase="a\"b\\c\nd"} NaN
            # HELP eipcni_test_seconds Latency.
            # TYPE eipcni_test_seconds histogram
            eipcni_test_seconds_bucket{work="eip",le="0.1"} 2
            eipcni_test_seconds_bucket{work="eip",le="1"} 2
            eipcni_test_seconds_bucket{work="eip",le="10"} 3
            eipcni_test_seconds_bucket{work="eip",le="+Inf"} 4
            eipcni_test_seconds_sum{work="eip"} 25.15
            eipcni_test_seconds_count{work="eip"} 4
            # HELP eipcni_test_plain_total Without labels: there from the start.
            # TYPE eipcni_test_plain_total counter
            eipcni_test_plain_total 0
            # HELP eipcni_test_inf Infinities.
            # TYPE eipcni_test_inf gauge
            eipcni_test_inf +Inf

            """.Replace("\r\n", "\n"), r.Expose());
    }

    [Fact]
    public void Every_line_of_the_agents_exposition_follows_the_format()
    {
        var m = new NodeMetrics();
        m.CniCall(new CniLogLine("ADD", 0, 1234.5, true));
        m.CniCall(new CniLogLine("ADD", 0, 9.8, false));
        m.CniCall(new CniLogLine("DEL", 11, 30000, true));
        m.CloudAttemptFailed(new EipCni.Cloud.CloudException("DescribeEipAddresses", "Throttling.User", "denied", "R1", 400));
        m.JournalRecords.Set(2, "Bound");
        m.SweepReleases.Inc("pod_gone");

        var text = m.Registry.Expose();

        var seen = new HashSet<string>();
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                Assert.Matches(CommentLine(), line);
                var name = line.Split(' ')[2];
                if (line.StartsWith("# TYPE", StringComparison.Ordinal)) Assert.True(seen.Add(name), $"{name} has two TYPE lines");
                continue;
            }
            Assert.Matches(SampleLine(), line);
        }
        Assert.Contains("eipcni_cni_calls_total{command=\"DEL\",code=\"11\"} 1\n", text);
        Assert.Contains("eipcni_cni_add_duration_seconds_bucket{work=\"eip\",le=\"2\"} 1\n", text);
        Assert.Contains("eipcni_cni_add_duration_seconds_bucket{work=\"none\",le=\"0.01\"} 1\n", text);
        Assert.Contains("eipcni_cloud_throttles_total{action=\"DescribeEipAddresses\"} 1\n", text);
        Assert.Contains("eipcni_cloud_errors_total{action=\"DescribeEipAddresses\",code=\"Throttling.User\"} 1\n", text);
        Assert.Equal(14, seen.Count);
    }

    [Theory]
    [InlineData("9lives")]
    [InlineData("has-dash")]
    [InlineData("")]
    public void A_name_outside_the_format_is_refused(string name) =>
        Assert.Throws<ArgumentException>(() => new MetricsRegistry().Counter(name, "x"));

    [Fact]
    public void Labels_must_be_valid_and_complete()
    {
        var r = new MetricsRegistry();
        Assert.Throws<ArgumentException>(() => r.Counter("a_total", "x", "le"));
        Assert.Throws<ArgumentException>(() => r.Histogram("h", "x", [1, 1]));
        var c = r.Counter("b_total", "x", "one", "two");
        Assert.Throws<ArgumentException>(() => c.Inc("only-one"));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Add(-1, "a", "b"));
        Assert.Throws<ArgumentException>(() => r.Counter("b_total", "again"));
    }

    [Fact]
    public void A_gauge_replaced_drops_the_series_that_are_gone()
    {
        var r = new MetricsRegistry();
        var g = r.Gauge("g", "x", "phase");
        g.Set(1, "Bound");
        g.Set(2, "Releasing");
        g.Replace([(["Bound"], 5)]);
        Assert.Equal("# HELP g x\n# TYPE g gauge\ng{phase=\"Bound\"} 5\n", r.Expose());
    }

    /// <summary>A HELP or TYPE line: the format's comment grammar.</summary>
    [GeneratedRegex("""^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* ([^\\\n]|\\\\|\\n)*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$""")]
    private static partial Regex CommentLine();

    /// <summary>A sample: name, optional labels with escaped values, a float (Go's syntax, +Inf, -Inf, NaN).</summary>
    [GeneratedRegex("""^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")*\})? ([+-]?[0-9.]+([eE][+-]?[0-9]+)?|\+Inf|-Inf|NaN)$""")]
    private static partial Regex SampleLine();
}

using System.Diagnostics;
using System.Net;
using System.Text.Json;
using EipCni.Cni;

namespace EipCni.Tests.Cni;

/// <summary>
/// The whole prevResult is validated, whatever the order of its entries, and addresses are read as Go reads them
/// (the runtime is Go: what it accepted and what we bind must be the same address).
/// </summary>
public sealed class PrevResultTests
{
    private const string Interfaces = """[{"name":"br0"},{"name":"eth0","sandbox":"/var/run/netns/x"}]""";

    private static IPAddress? Pick(string ips, string interfaces = Interfaces, string extra = "")
    {
        using var doc = JsonDocument.Parse($$"""{"cniVersion":"1.0.0","interfaces":{{interfaces}},"ips":{{ips}}{{extra}}}""");
        return PrevResult.PodIPv4(doc.RootElement, "eth0");
    }

    private static void Refused(string ips, string path, string? says = null, string interfaces = Interfaces, string extra = "")
    {
        var e = Assert.Throws<CniException>(() => Pick(ips, interfaces, extra));
        Assert.Equal(CniCode.InvalidConfig, e.Code);
        Assert.Contains($"\"{path}\"", e.Message);
        if (says is not null) Assert.Contains(says, e.Details);
    }

    [Fact]
    public void The_address_of_the_interface_wins_over_an_unindexed_one()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.7"), Pick("""[{"address":"10.0.0.9/24"},{"address":"10.0.0.7/24","interface":1},{"address":"10.0.0.8/24","interface":0}]"""));
        Assert.Equal(IPAddress.Parse("10.0.0.9"), Pick("""[{"address":"fd00::9/64","interface":1},{"address":"10.0.0.9/24","interface":-1}]"""));
        Assert.Null(Pick("""[{"address":"10.0.0.8/24","interface":0}]"""));
        Assert.Null(Pick("[]"));
    }

    [Theory]
    [InlineData("""[{"address":"10.0.1.7/24","interface":1},{"address":"10.0.1.8/24","interface":"x"}]""")]
    [InlineData("""[{"address":"10.0.1.8/24","interface":"x"},{"address":"10.0.1.7/24","interface":1}]""")]
    public void Every_entry_is_validated_whatever_the_order(string ips)
    {
        var second = ips.IndexOf("\"x\"", StringComparison.Ordinal) > ips.IndexOf("10.0.1.7", StringComparison.Ordinal);
        Refused(ips, $"prevResult.ips[{(second ? 1 : 0)}].interface");
    }

    [Theory]
    [InlineData("10.0.1.014/24")]  // .NET reads 014 as octal 12; Go refuses it
    [InlineData("010.0.1.14/24")]
    [InlineData("10.0.1/24")]
    [InlineData("0x0a.0.1.14/24")]
    [InlineData("10.0.1.14")]
    [InlineData("10.0.1.14/33")]
    [InlineData("10.0.1.14/-1")]
    [InlineData("10.0.1.256/24")]
    [InlineData(" 10.0.1.14/24")]
    [InlineData("fe80::1%eth0/64")]
    [InlineData("::ffff:10.0.1.014/96")]
    [InlineData("[fd00::1]/64")]
    public void An_address_Go_would_refuse_is_refused(string address)
    {
        Refused($$"""[{"address":"10.0.1.7/24","interface":1},{"address":{{JsonSerializer.Serialize(address)}},"interface":1}]""",
            "prevResult.ips[1].address", "no leading zeros");
    }

    [Theory]
    [InlineData("10.0.1.14/24", "10.0.1.14")]
    [InlineData("10.0.1.0/024", "10.0.1.0")] // Go's ParseCIDR reads the length as plain decimal
    [InlineData("0.0.0.0/0", "0.0.0.0")]
    [InlineData("255.255.255.255/32", "255.255.255.255")]
    public void Plain_decimal_addresses_are_read(string address, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), Pick($$"""[{"address":"{{address}}","interface":1}]"""));

    [Theory]
    [InlineData("""[{"address":"10.0.1.7/24","interface":2}]""", "prevResult.ips[0].interface", "0 to 1")]
    [InlineData("""[{"address":"10.0.1.7/24","interface":-2}]""", "prevResult.ips[0].interface", null)]
    [InlineData("""[{"address":"10.0.1.7/24","interface":1},{"address":"10.0.1.8/24","interface":9}]""", "prevResult.ips[1].interface", null)]
    [InlineData("""[{"address":"10.0.1.7/24","interface":1,"gateway":"10.0.1.01"}]""", "prevResult.ips[0].gateway", "no leading zeros")]
    [InlineData("""[{"address":"10.0.1.7/24","interface":1,"gateway":5}]""", "prevResult.ips[0].gateway", null)]
    [InlineData("""[{"address":"10.0.1.7/24","interface":1,"version":4}]""", "prevResult.ips[0].version", null)]
    [InlineData("""[{"address":"10.0.1.7/24","interface":1},7]""", "prevResult.ips[1]", null)]
    public void Indexes_gateways_and_types_are_checked(string ips, string path, string? says) => Refused(ips, path, says);

    [Fact]
    public void An_index_without_interfaces_is_refused() =>
        Refused("""[{"address":"10.0.1.7/24","interface":0}]""", "prevResult.ips[0].interface", "prevResult.interfaces is empty", interfaces: "[]");

    [Theory]
    [InlineData(""","routes":[{"dst":"0.0.0.0/0","gw":"10.0.1.1"},{"dst":"10.1.0.0/016x"}]""", "prevResult.routes[1].dst")]
    [InlineData(""","routes":[{"dst":"0.0.0.0/0","gw":"10.0.1.001"}]""", "prevResult.routes[0].gw")]
    [InlineData(""","routes":{}""", "prevResult.routes")]
    public void Routes_are_checked(string routes, string path) =>
        Refused("""[{"address":"10.0.1.7/24","interface":1}]""", path, extra: routes);

    [Fact]
    public void Routes_as_Go_writes_them_are_accepted() =>
        Assert.NotNull(Pick("""[{"address":"10.0.1.7/24","interface":1}]""", extra: ""","routes":[{"dst":"0.0.0.0/0"},{"dst":"fd00::/8","gw":"fd00::1"},{}]"""));

    [Fact]
    public void Ten_thousand_IPs_are_validated_quickly()
    {
        var ips = "[" + string.Join(",", Enumerable.Range(0, 10_000).Select(i => $$"""{"address":"10.{{i / 65536 % 256}}.{{i / 256 % 256}}.{{i % 256}}/16","interface":0,"gateway":"10.0.0.1"}""")) +
                  """,{"address":"10.99.0.7/16","interface":1}]""";
        using var doc = JsonDocument.Parse($$"""{"cniVersion":"1.0.0","interfaces":{{Interfaces}},"ips":{{ips}}}""");
        PrevResult.PodIPv4(doc.RootElement, "eth0"); // warm-up
        var clock = Stopwatch.StartNew();

        var picked = PrevResult.PodIPv4(doc.RootElement, "eth0");

        Assert.Equal(IPAddress.Parse("10.99.0.7"), picked);
        // Linear and cheap: a few ms in the published binary (GoldenTests); generous here for a JIT build on a busy machine.
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), $"took {clock.Elapsed.TotalMilliseconds} ms");
    }
}

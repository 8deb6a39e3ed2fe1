using EipCni.Cni;
using EipCni.Eip;

namespace EipCni.Tests.Eip;

/// <summary>Pod annotations → EipRequest: every annotation under every spelling, precedence, defaults and every invalid value class.</summary>
public class EipRequestParserTests
{
    private const string New = "network.alibabacloud.com/";
    private const string Old = "k8s.aliyun.com/";
    private const string Asks = New + "pod-with-eip";

    private static Dictionary<string, string> A(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    private static EipRequest Parse(params (string Key, string Value)[] pairs) => EipRequestParser.Parse(A(pairs));

    /// <summary>The spellings of one annotation name: both prefixes, plus its compat name when it has one.</summary>
    private static IEnumerable<string> Spellings(string name) => name switch
    {
        "pod-with-eip" => [New + name, Old + name, "k8s.aliyun.com/eci-with-eip"],
        "pod-eip-instanceid" => [New + name, Old + name, "k8s.aliyun.com/eci-eip-instanceid"],
        "eip-internet-charge-type" => [New + name, Old + name, "k8s.aliyun.com/eip-charge-type"],
        _ => [New + name, Old + name],
    };

    // ---------- not asking ----------

    [Fact]
    public void A_pod_without_annotations_does_not_want_an_eip()
    {
        var r = Parse();
        Assert.False(r.Wanted);
        Assert.Empty(r.Warnings);
        Assert.Empty(r.SourceKeys);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("False")]
    [InlineData("FALSE")]
    [InlineData(" false ")]
    public void Pod_with_eip_false_does_not_want_an_eip(string value)
    {
        foreach (var key in Spellings("pod-with-eip"))
        {
            var r = Parse((key, value));
            Assert.False(r.Wanted);
            Assert.Equal([key], r.SourceKeys);
        }
    }

    [Fact]
    public void An_empty_instance_id_alone_is_not_a_request()
    {
        foreach (var key in Spellings("pod-eip-instanceid"))
        {
            Assert.False(Parse((key, "")).Wanted);
            Assert.False(Parse((key, "  ")).Wanted);
            Assert.False(Parse((key, ""), (Asks, "false")).Wanted);
        }
    }

    /// <summary>A pod that does not ask must never fail because of a stray eip-* annotation, however wrong.</summary>
    [Theory]
    [MemberData(nameof(InvalidCreationCases))]
    public void A_pod_that_does_not_ask_ignores_invalid_eip_annotations(InvalidCase c)
    {
        var without = new Dictionary<string, string>(c.Annotations);
        without.Remove(Asks);
        Assert.False(EipRequestParser.Parse(without).Wanted);
        without[Asks] = "false";
        Assert.False(EipRequestParser.Parse(without).Wanted);
    }

    // ---------- asking, defaults ----------

    [Theory]
    [InlineData("true")]
    [InlineData("True")]
    [InlineData("TRUE")]
    [InlineData("true\n")]
    public void Pod_with_eip_true_gets_the_defaults(string value)
    {
        foreach (var key in Spellings("pod-with-eip"))
        {
            var r = Parse((key, value));
            Assert.True(r.Wanted);
            Assert.True(r.Automatic);
            Assert.Null(r.UserAllocationId);
            Assert.Equal(5, r.Bandwidth);
            Assert.Equal("PayByTraffic", r.InternetChargeType);
            Assert.Equal("PostPaid", r.InstanceChargeType);
            Assert.Null(r.CommonBandwidthPackageId);
            Assert.Null(r.Isp);
            Assert.Null(r.PublicIpAddressPoolId);
            Assert.Null(r.ResourceGroupId);
            Assert.Null(r.Name);
            Assert.Null(r.Description);
            Assert.Empty(r.SecurityProtectionTypes);
            Assert.Empty(r.UserTags);
            Assert.Equal(ReleaseStrategy.Follow, r.ReleaseStrategy);
            Assert.Equal("Follow", r.ReleaseStrategy.ToString());
            Assert.Empty(r.Warnings);
            Assert.Equal([key], r.SourceKeys);
        }
    }

    // ---------- every annotation's valid forms ----------

    /// <summary>A valid value of one annotation and what the request must then say.</summary>
    public sealed record ValidCase(string Name, string Value, Func<EipRequest, object?> Read, object? Expected)
    {
        public override string ToString() => $"{Name}={Value}";
    }

    public static IEnumerable<object[]> ValidCases() => new ValidCase[]
    {
        new("eip-bandwidth", "1", r => r.Bandwidth, 1),
        new("eip-bandwidth", "10", r => r.Bandwidth, 10),
        new("eip-bandwidth", " 20 ", r => r.Bandwidth, 20),
        new("eip-bandwidth", "200", r => r.Bandwidth, 200),
        new("eip-bandwidth", "007", r => r.Bandwidth, 7),
        new("eip-internet-charge-type", "PayByTraffic", r => r.InternetChargeType, "PayByTraffic"),
        new("eip-internet-charge-type", "PayByBandwidth", r => r.InternetChargeType, "PayByBandwidth"),
        new("eip-internet-charge-type", "paybybandwidth", r => r.InternetChargeType, "PayByBandwidth"),
        new("eip-instance-charge-type", "PostPaid", r => r.InstanceChargeType, "PostPaid"),
        new("eip-instance-charge-type", "postpaid", r => r.InstanceChargeType, "PostPaid"),
        new("eip-common-bandwidth-package-id", "cbwp-2ze0rgs3ubq4mbvjz4u5f", r => r.CommonBandwidthPackageId, "cbwp-2ze0rgs3ubq4mbvjz4u5f"),
        new("eip-public-ip-address-pool-id", "pippool-bp187arfugi543y1s4", r => r.PublicIpAddressPoolId, "pippool-bp187arfugi543y1s4"),
        new("eip-resource-group-id", "rg-acfmxazb4ph6aiy", r => r.ResourceGroupId, "rg-acfmxazb4ph6aiy"),
        new("eip-isp", "BGP", r => r.Isp, "BGP"),
        new("eip-isp", "BGP_PRO", r => r.Isp, "BGP_PRO"),
        new("eip-isp", "bgp_pro", r => r.Isp, "BGP_PRO"),
        new("eip-isp", "ChinaTelecom", r => r.Isp, "ChinaTelecom"),
        new("eip-isp", "ChinaUnicom", r => r.Isp, "ChinaUnicom"),
        new("eip-isp", "ChinaMobile", r => r.Isp, "ChinaMobile"),
        new("eip-isp", "ChinaTelecom_L2", r => r.Isp, "ChinaTelecom_L2"),
        new("eip-isp", "ChinaUnicom_L2", r => r.Isp, "ChinaUnicom_L2"),
        new("eip-isp", "ChinaMobile_L2", r => r.Isp, "ChinaMobile_L2"),
        new("eip-isp", "BGP_FinanceCloud", r => r.Isp, "BGP_FinanceCloud"),
        new("eip-isp", "BGP_International", r => r.Isp, "BGP_International"),
        new("eip-name", "web-0", r => r.Name, "web-0"),
        new("eip-name", "公网地址", r => r.Name, "公网地址"),
        new("eip-name", new string('n', 128), r => r.Name, new string('n', 128)),
        new("eip-name", string.Concat(Enumerable.Repeat("😀", 128)), r => r.Name?.Length, 256), // 128 characters, 256 UTF-16 units
        new("eip-name", "see http://x", r => r.Name, "see http://x"),
        new("eip-description", "frontend of shop", r => r.Description, "frontend of shop"),
        new("eip-description", new string('d', 256), r => r.Description, new string('d', 256)),
        new("eip-security-protection-types", "AntiDDoS_Enhanced", r => string.Join("|", r.SecurityProtectionTypes), "AntiDDoS_Enhanced"),
        new("eip-security-protection-types", " AntiDDoS_Enhanced ", r => string.Join("|", r.SecurityProtectionTypes), "AntiDDoS_Enhanced"),
        new("eip-security-protection-types", "antiddos_enhanced", r => string.Join("|", r.SecurityProtectionTypes), "AntiDDoS_Enhanced"),
        new("eip-tags", "{}", r => r.UserTags.Count, 0),
        new("eip-tags", "{\"team\":\"web\",\"env\":\"prod\"}", r => string.Join(",", r.UserTags.Select(t => $"{t.Key}={t.Value}")), "team=web,env=prod"),
        new("eip-tags", " { \"empty\" : \"\" } ", r => r.UserTags["empty"], ""),
        new("eip-tags", "{\"k\":\"a\\\"b\\u00e4\"}", r => r.UserTags["k"], "a\"bä"),
        new("eip-tags", "{\"" + new string('k', 128) + "\":\"" + new string('v', 128) + "\"}", r => r.UserTags.Single().Value.Length, 128),
        new("eip-tags", "{" + string.Join(",", Enumerable.Range(1, 12).Select(i => $"\"t{i}\":\"{i}\"")) + "}", r => r.UserTags.Count, 12),
        new("eip-tags", "{\"my-aliyun\":\"v\",\"team/acs:x\":\"v\"}", r => r.UserTags.Count, 2),
        new("pod-eip-release-strategy", "Follow", r => r.ReleaseStrategy, ReleaseStrategy.Follow),
        new("pod-eip-release-strategy", "follow", r => r.ReleaseStrategy, ReleaseStrategy.Follow),
        new("pod-eip-release-strategy", "Never", r => r.ReleaseStrategy, ReleaseStrategy.Never),
        new("pod-eip-release-strategy", "NEVER", r => r.ReleaseStrategy.ToString(), "Never"),
        new("pod-eip-release-strategy", "10m", r => r.ReleaseStrategy, ReleaseStrategy.Keep(TimeSpan.FromMinutes(10))),
        new("pod-eip-release-strategy", "10m", r => r.ReleaseStrategy.ToString(), "10m0s"),
        new("pod-eip-release-strategy", "5m30s", r => r.ReleaseStrategy.Ttl, TimeSpan.FromSeconds(330)),
        new("pod-eip-release-strategy", "1.5h", r => r.ReleaseStrategy.ToString(), "1h30m0s"),
        new("pod-eip-release-strategy", "1s", r => r.ReleaseStrategy.Ttl, TimeSpan.FromSeconds(1)),
        new("pod-eip-release-strategy", "1000ms", r => r.ReleaseStrategy.Kind, ReleaseKind.Ttl),
        new("pod-eip-release-strategy", "+2h", r => r.ReleaseStrategy.Ttl, TimeSpan.FromHours(2)),
        new("pod-eip-release-strategy", "8760h", r => r.ReleaseStrategy.ToString(), "8760h0m0s"),
    }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void Valid_values_are_used_under_every_spelling(ValidCase c)
    {
        foreach (var key in Spellings(c.Name))
        {
            var r = Parse((Asks, "true"), (key, c.Value));
            Assert.True(r.Wanted);
            Assert.Equal(c.Expected, c.Read(r));
            Assert.Contains(key, r.SourceKeys);
            Assert.Empty(r.Warnings);
        }
    }

    [Fact]
    public void Pay_by_bandwidth_allows_up_to_500_mbps()
    {
        var r = Parse((Asks, "true"), (New + "eip-internet-charge-type", "PayByBandwidth"), (New + "eip-bandwidth", "500"));
        Assert.Equal(500, r.Bandwidth);
        var compat = Parse((Asks, "true"), ("k8s.aliyun.com/eip-charge-type", "PayByBandwidth"), (Old + "eip-bandwidth", "201"));
        Assert.Equal(201, compat.Bandwidth);
    }

    [Fact]
    public void A_full_request_carries_every_value()
    {
        var r = Parse(
            (Asks, "true"),
            (New + "eip-bandwidth", "50"),
            (New + "eip-internet-charge-type", "PayByBandwidth"),
            (New + "eip-instance-charge-type", "PostPaid"),
            (New + "eip-common-bandwidth-package-id", "cbwp-abc123"),
            (New + "eip-isp", "BGP_PRO"),
            (New + "eip-public-ip-address-pool-id", "pippool-abc"),
            (New + "eip-resource-group-id", "rg-abc"),
            (New + "eip-name", "web"),
            (New + "eip-description", "web tier"),
            (New + "eip-security-protection-types", "AntiDDoS_Enhanced"),
            (New + "eip-tags", "{\"team\":\"web\"}"),
            (New + "pod-eip-release-strategy", "1h"));
        Assert.Equal(
            (true, 50, "PayByBandwidth", "PostPaid", "cbwp-abc123", "BGP_PRO", "pippool-abc", "rg-abc", "web", "web tier", "AntiDDoS_Enhanced", "web", "1h0m0s"),
            (r.Wanted, r.Bandwidth, r.InternetChargeType, r.InstanceChargeType, r.CommonBandwidthPackageId, r.Isp, r.PublicIpAddressPoolId,
                r.ResourceGroupId, r.Name, r.Description, r.SecurityProtectionTypes.Single(), r.UserTags["team"], r.ReleaseStrategy.ToString()));
        Assert.Equal(13, r.SourceKeys.Count);
        Assert.Empty(r.Warnings);
    }

    // ---------- user-specified EIP ----------

    [Theory]
    [InlineData("eip-bp1abcdef", "eip-bp1abcdef")]
    [InlineData(" eip-2ze0rgs3ubq4mbvjz4u5f\n", "eip-2ze0rgs3ubq4mbvjz4u5f")]
    [InlineData("eip-a", "eip-a")]
    public void An_instance_id_asks_for_that_eip(string value, string expected)
    {
        foreach (var key in Spellings("pod-eip-instanceid"))
        {
            var r = Parse((key, value));
            Assert.True(r.Wanted);
            Assert.False(r.Automatic);
            Assert.Equal(expected, r.UserAllocationId);
            Assert.Empty(r.Warnings);
            Assert.Equal([key], r.SourceKeys);
        }
    }

    [Fact]
    public void A_64_character_instance_id_is_accepted()
    {
        var id = "eip-" + new string('a', 60);
        Assert.Equal(id, Parse((New + "pod-eip-instanceid", id)).UserAllocationId);
    }

    [Fact]
    public void An_instance_id_wins_over_pod_with_eip_false_with_a_warning()
    {
        var r = Parse(("k8s.aliyun.com/eci-with-eip", "false"), (Old + "pod-eip-instanceid", "eip-abc"));
        Assert.True(r.Wanted);
        Assert.Equal("eip-abc", r.UserAllocationId);
        var w = Assert.Single(r.Warnings);
        Assert.Contains("k8s.aliyun.com/eci-with-eip", w);
        Assert.Contains(Old + "pod-eip-instanceid", w);
        Assert.Contains("eip-abc", w);
    }

    [Fact]
    public void Creation_only_annotations_are_ignored_for_a_user_eip_with_one_warning_each()
    {
        var creation = new (string, string)[]
        {
            (New + "eip-bandwidth", "50"),
            ("k8s.aliyun.com/eip-charge-type", "PayByBandwidth"),
            (Old + "eip-instance-charge-type", "PostPaid"),
            (New + "eip-common-bandwidth-package-id", "cbwp-abc"),
            (New + "eip-isp", "BGP"),
            (New + "eip-public-ip-address-pool-id", "pippool-abc"),
            (Old + "eip-resource-group-id", "rg-abc"),
            (New + "eip-name", "web"),
            (New + "eip-description", "web tier"),
            (New + "eip-security-protection-types", "AntiDDoS_Enhanced"),
            (New + "eip-tags", "{\"team\":\"web\"}"),
        };
        var r = Parse([(New + "pod-eip-instanceid", "eip-user1"), .. creation]);
        Assert.Equal("eip-user1", r.UserAllocationId);
        Assert.Equal(creation.Length, r.Warnings.Count);
        foreach (var (key, _) in creation)
            Assert.Single(r.Warnings, w => w.StartsWith($"{key} is ignored for a user-specified EIP", StringComparison.Ordinal));
        // Nothing of the ignored annotations leaks into the request.
        Assert.Equal(5, r.Bandwidth);
        Assert.Equal("PayByTraffic", r.InternetChargeType);
        Assert.All(new[] { r.CommonBandwidthPackageId, r.Isp, r.PublicIpAddressPoolId, r.ResourceGroupId, r.Name, r.Description }, Assert.Null);
        Assert.Empty(r.SecurityProtectionTypes);
        Assert.Empty(r.UserTags);
    }

    [Fact]
    public void The_brief_s_example_warning_reads_as_promised()
    {
        var r = Parse((New + "pod-eip-instanceid", "eip-user1"), (New + "eip-bandwidth", "10"));
        Assert.Contains("eip-bandwidth is ignored for a user-specified EIP", Assert.Single(r.Warnings));
    }

    [Fact]
    public void A_release_strategy_on_a_user_eip_is_ignored_with_a_warning()
    {
        var r = Parse((New + "pod-eip-instanceid", "eip-user1"), (New + "pod-eip-release-strategy", "Never"));
        Assert.Contains("never releases", Assert.Single(r.Warnings));
        Assert.Equal(ReleaseStrategy.Follow, r.ReleaseStrategy);
    }

    [Theory]
    [MemberData(nameof(InvalidCreationCases))]
    public void Creation_only_annotations_are_still_validated_for_a_user_eip(InvalidCase c)
    {
        var withUser = new Dictionary<string, string>(c.Annotations) { [New + "pod-eip-instanceid"] = "eip-user1" };
        withUser.Remove(Asks);
        AssertInvalid(withUser, c.Key, c.Says);
    }

    // ---------- precedence ----------

    [Theory]
    [InlineData("eip-bandwidth", "10", "20")]
    [InlineData("eip-isp", "BGP", "BGP_PRO")]
    [InlineData("eip-name", "new", "old")]
    [InlineData("pod-eip-release-strategy", "1h", "Never")]
    public void The_network_prefix_wins_over_the_k8s_prefix_with_a_warning_naming_both(string name, string winner, string loser)
    {
        var r = Parse((Asks, "true"), (Old + name, loser), (New + name, winner));
        Assert.Contains(New + name, r.SourceKeys);
        Assert.DoesNotContain(Old + name, r.SourceKeys);
        var w = Assert.Single(r.Warnings);
        Assert.Contains($"{New}{name}=\"{winner}\"", w);
        Assert.Contains($"{Old}{name}=\"{loser}\"", w);
        var again = Parse((Asks, "true"), (Old + name, winner), (New + name, winner));
        Assert.Empty(again.Warnings); // the same value twice is no conflict
    }

    [Fact]
    public void Winners_values_are_the_ones_used()
    {
        var r = Parse((Asks, "true"), (Old + "eip-bandwidth", "20"), (New + "eip-bandwidth", "10"),
            ("k8s.aliyun.com/eip-charge-type", "PayByTraffic"), (Old + "eip-internet-charge-type", "PayByBandwidth"));
        Assert.Equal(10, r.Bandwidth);
        Assert.Equal("PayByBandwidth", r.InternetChargeType);
        Assert.Contains("k8s.aliyun.com/eip-charge-type=\"PayByTraffic\"", Assert.Single(r.Warnings, w => w.Contains("charge-type")));
    }

    [Fact]
    public void A_losing_spelling_is_not_validated()
    {
        // Only the winner is read; the overruled value is reported, not enforced.
        var r = Parse((Asks, "true"), (Old + "eip-bandwidth", "lots"), (New + "eip-bandwidth", "10"));
        Assert.Equal(10, r.Bandwidth);
        Assert.Single(r.Warnings);
    }

    [Fact]
    public void Pod_with_eip_precedence_decides_whether_the_pod_asks()
    {
        Assert.False(Parse((New + "pod-with-eip", "false"), (Old + "pod-with-eip", "true")).Wanted);
        Assert.True(Parse((Old + "pod-with-eip", "true"), ("k8s.aliyun.com/eci-with-eip", "false")).Wanted);
        var r = Parse((New + "pod-with-eip", "false"), ("k8s.aliyun.com/eci-with-eip", "true"));
        Assert.False(r.Wanted);
        Assert.Contains("k8s.aliyun.com/eci-with-eip", Assert.Single(r.Warnings));
        Assert.Empty(Parse((New + "pod-with-eip", "TRUE"), (Old + "pod-with-eip", "true")).Warnings); // same meaning
    }

    [Fact]
    public void Three_spellings_of_the_instance_id_warn_about_each_loser()
    {
        var r = Parse((New + "pod-eip-instanceid", "eip-a"), (Old + "pod-eip-instanceid", "eip-b"), ("k8s.aliyun.com/eci-eip-instanceid", "eip-c"));
        Assert.Equal("eip-a", r.UserAllocationId);
        Assert.Equal(2, r.Warnings.Count);
        Assert.Contains(r.Warnings, w => w.Contains("eip-b") && w.Contains(Old + "pod-eip-instanceid"));
        Assert.Contains(r.Warnings, w => w.Contains("eip-c") && w.Contains("k8s.aliyun.com/eci-eip-instanceid"));
    }

    // ---------- invalid values ----------

    /// <summary>Annotations that must be refused with code 7 naming <see cref="Key"/>, the details containing <see cref="Says"/>.</summary>
    public sealed record InvalidCase(string Label, Dictionary<string, string> Annotations, string Key, string[] Says)
    {
        public override string ToString() => Label;
    }

    /// <summary>(annotation name, invalid value, words the details must contain) for the creation-time annotations.</summary>
    private static readonly (string Name, string Value, string[] Says)[] InvalidCreation =
    [
        ("eip-bandwidth", "0", ["greater than 0"]),
        ("eip-bandwidth", "00", ["greater than 0"]),
        ("eip-bandwidth", "-1", ["whole number"]),
        ("eip-bandwidth", "+5", ["whole number"]),
        ("eip-bandwidth", "abc", ["whole number", "1 to 200"]),
        ("eip-bandwidth", "", ["whole number"]),
        ("eip-bandwidth", "5.5", ["whole number"]),
        ("eip-bandwidth", "1e2", ["whole number"]),
        ("eip-bandwidth", "0x10", ["whole number"]),
        ("eip-bandwidth", "5 Mbps", ["whole number"]),
        ("eip-bandwidth", "5M", ["whole number"]),
        ("eip-bandwidth", "1,000", ["whole number"]),
        ("eip-bandwidth", "\u0661\u0662", ["whole number"]),
        ("eip-bandwidth", "201", ["limit", "1 to 200", "PayByTraffic"]),
        ("eip-bandwidth", "500", ["limit", "1 to 200"]),
        ("eip-bandwidth", "99999999999", ["limit"]),
        ("eip-internet-charge-type", "PayByHour", ["PayByTraffic, PayByBandwidth"]),
        ("eip-internet-charge-type", "", ["PayByTraffic, PayByBandwidth"]),
        ("eip-internet-charge-type", "Traffic", ["PayByTraffic, PayByBandwidth"]),
        ("eip-internet-charge-type", "PayBy Traffic", ["PayByTraffic, PayByBandwidth"]),
        ("eip-internet-charge-type", "PostPaid", ["PayByTraffic, PayByBandwidth"]),
        ("eip-instance-charge-type", "PrePaid", ["subscription", "PostPaid"]),
        ("eip-instance-charge-type", "prepaid", ["subscription", "PostPaid"]),
        ("eip-instance-charge-type", "Subscription", ["PostPaid"]),
        ("eip-instance-charge-type", "", ["PostPaid"]),
        ("eip-instance-charge-type", "PayByTraffic", ["PostPaid"]),
        ("eip-common-bandwidth-package-id", "cbwp", ["cbwp-"]),
        ("eip-common-bandwidth-package-id", "cbwp-", ["cbwp-"]),
        ("eip-common-bandwidth-package-id", "", ["cbwp-"]),
        ("eip-common-bandwidth-package-id", "CBWP-abc", ["cbwp-", "lowercase"]),
        ("eip-common-bandwidth-package-id", "cbwp-ABC", ["cbwp-", "lowercase"]),
        ("eip-common-bandwidth-package-id", "bwp-abc", ["cbwp-"]),
        ("eip-common-bandwidth-package-id", "cbwp-a_b", ["cbwp-"]),
        ("eip-common-bandwidth-package-id", "cbwp-a b", ["cbwp-"]),
        ("eip-common-bandwidth-package-id", "cbwp-" + new string('a', 60), ["64"]),
        ("eip-public-ip-address-pool-id", "pippool-", ["pippool-"]),
        ("eip-public-ip-address-pool-id", "pool-abc", ["pippool-"]),
        ("eip-public-ip-address-pool-id", "pippool-X1", ["pippool-"]),
        ("eip-public-ip-address-pool-id", "pippool-a.b", ["pippool-"]),
        ("eip-resource-group-id", "rg-", ["rg-"]),
        ("eip-resource-group-id", "rg", ["rg-"]),
        ("eip-resource-group-id", "rg-AB", ["rg-"]),
        ("eip-resource-group-id", "resourcegroup-1", ["rg-"]),
        ("eip-resource-group-id", "rg-abc/def", ["rg-"]),
        ("eip-isp", "", ["BGP, BGP_PRO", "BGP_International"]),
        ("eip-isp", "China Telecom", ["ChinaTelecom_L2"]),
        ("eip-isp", "BGP-PRO", ["BGP_PRO"]),
        ("eip-isp", "CMCC", ["ChinaMobile"]),
        ("eip-isp", "BGP,BGP_PRO", ["one of"]),
        ("eip-name", "", ["1 to 128"]),
        ("eip-name", "   ", ["1 to 128"]),
        ("eip-name", "http://shop.example", ["http://"]),
        ("eip-name", "HTTPS://shop.example", ["https://"]),
        ("eip-name", new string('n', 129), ["129 characters", "128"]),
        ("eip-name", "a\nb", ["control characters"]),
        ("eip-name", "a\u0000b", ["control characters"]),
        ("eip-description", "", ["1 to 256"]),
        ("eip-description", "https://shop.example is ours", ["https://"]),
        ("eip-description", "Http://x", ["http://"]),
        ("eip-description", new string('d', 257), ["257 characters", "256"]),
        ("eip-description", "tab\there", ["control characters"]),
        ("eip-security-protection-types", "", ["empty entry"]),
        ("eip-security-protection-types", ",AntiDDoS_Enhanced", ["empty entry"]),
        ("eip-security-protection-types", "AntiDDoS_Enhanced,", ["empty entry"]),
        ("eip-security-protection-types", "AntiDDoS_Enhanced,,AntiDDoS_Enhanced", ["empty entry"]),
        ("eip-security-protection-types", "AntiDDoS_Basic", ["unknown", "AntiDDoS_Basic", "AntiDDoS_Enhanced"]),
        ("eip-security-protection-types", "Enhanced", ["unknown"]),
        ("eip-security-protection-types", "AntiDDoS_Enhanced;AntiDDoS_Premium", ["unknown"]),
        ("eip-security-protection-types", "AntiDDoS_Enhanced, AntiDDoS_Enhanced", ["more than once"]),
        ("eip-security-protection-types", "AntiDDoS_Enhanced,antiddos_enhanced", ["more than once"]),
        ("eip-tags", "", ["not valid JSON"]),
        ("eip-tags", "team=web", ["not valid JSON"]),
        ("eip-tags", "{'team':'web'}", ["not valid JSON"]),
        ("eip-tags", "{\"a\":\"b\",}", ["not valid JSON"]),
        ("eip-tags", "{/*c*/}", ["not valid JSON"]),
        ("eip-tags", "{\"a\":\"b\"", ["not valid JSON"]),
        ("eip-tags", "{\"a\":\"b\"} {}", ["not valid JSON"]),
        ("eip-tags", "[]", ["JSON array", "object"]),
        ("eip-tags", "[{\"a\":\"b\"}]", ["JSON array"]),
        ("eip-tags", "\"team\"", ["JSON string"]),
        ("eip-tags", "null", ["JSON null"]),
        ("eip-tags", "42", ["JSON number"]),
        ("eip-tags", "{\"a\":1}", ["\"a\"", "number value"]),
        ("eip-tags", "{\"a\":true}", ["boolean value"]),
        ("eip-tags", "{\"a\":null}", ["null value"]),
        ("eip-tags", "{\"a\":{}}", ["object value"]),
        ("eip-tags", "{\"a\":[\"b\"]}", ["array value"]),
        ("eip-tags", "{\"\":\"x\"}", ["key is empty"]),
        ("eip-tags", "{\" \":\"x\"}", ["key is empty"]),
        ("eip-tags", "{\"aliyun-team\":\"v\"}", ["aliyun or acs:"]),
        ("eip-tags", "{\"Aliyun\":\"v\"}", ["aliyun or acs:"]),
        ("eip-tags", "{\"acs:team\":\"v\"}", ["aliyun or acs:"]),
        ("eip-tags", "{\"ACS:team\":\"v\"}", ["aliyun or acs:"]),
        ("eip-tags", "{\"eip-cni.alibabacloud.com/pod\":\"x\"}", ["reserved", "eip-cni.alibabacloud.com/"]),
        ("eip-tags", "{\"EIP-CNI.alibabacloud.com/cluster\":\"x\"}", ["reserved"]),
        ("eip-tags", "{\"see http://x\":\"v\"}", ["key must not contain http://"]),
        ("eip-tags", "{\"a\":\"https://x\"}", ["value must not contain"]),
        ("eip-tags", "{\"a\":\"go to HTTP://x\"}", ["value must not contain"]),
        ("eip-tags", "{\"" + new string('k', 129) + "\":\"v\"}", ["key has 129 characters"]),
        ("eip-tags", "{\"k\":\"" + new string('v', 129) + "\"}", ["value has 129 characters"]),
        ("eip-tags", "{\"a\":\"1\",\"a\":\"2\"}", ["more than once"]),
        ("eip-tags", "{" + string.Join(",", Enumerable.Range(1, 13).Select(i => $"\"t{i}\":\"{i}\"")) + "}", ["13 tags", "at most 12"]),
        ("pod-eip-release-strategy", "", ["Follow, Never"]),
        ("pod-eip-release-strategy", "Always", ["Follow, Never"]),
        ("pod-eip-release-strategy", "follow2", ["Follow, Never"]),
        ("pod-eip-release-strategy", "forever", ["Follow, Never"]),
        ("pod-eip-release-strategy", "10", ["Follow, Never"]),
        ("pod-eip-release-strategy", "1d", ["Go duration"]),
        ("pod-eip-release-strategy", "10 m", ["Go duration"]),
        ("pod-eip-release-strategy", "10M", ["Go duration"]),
        ("pod-eip-release-strategy", "0", ["shorter than 1s"]),
        ("pod-eip-release-strategy", "0s", ["shorter than 1s"]),
        ("pod-eip-release-strategy", "500ms", ["shorter than 1s", "Follow"]),
        ("pod-eip-release-strategy", "999999us", ["shorter than 1s"]),
        ("pod-eip-release-strategy", "-10m", ["negative"]),
        ("pod-eip-release-strategy", "-0s", ["negative"]),
        ("pod-eip-release-strategy", "8761h", ["longer than 8760h", "Never"]),
        ("pod-eip-release-strategy", "8760h0m0.001s", ["longer than 8760h"]),
        ("pod-eip-release-strategy", "9223372036854775808ns", ["Go duration"]),
    ];

    public static IEnumerable<object[]> InvalidCreationCases()
    {
        foreach (var (name, value, says) in InvalidCreation)
            foreach (var key in Spellings(name))
                yield return [new InvalidCase($"{key}={Shorten(value)}", A((Asks, "true"), (key, value)), key, says)];
    }

    public static IEnumerable<object[]> InvalidAskingCases()
    {
        foreach (var value in new[] { "yes", "no", "1", "0", "", " ", "on", "truee", "t", "true false", "\"true\"", "ja" })
            foreach (var key in Spellings("pod-with-eip"))
                yield return [new InvalidCase($"{key}={value}", A((key, value)), key, ["\"true\" or \"false\""])];

        string[] badIds =
        [
            "eip", "eip-", "EIP-abc", "eip-ABC", "Eip-abc", "eip_abc", "eip-abc def", "eip-abc-def", "eip-ä",
            "lb-abc", "i-bp1abc", "eipabc", "eip-a.b", "eip-" + new string('a', 61), "47.1.2.3",
        ];
        foreach (var value in badIds)
            foreach (var key in Spellings("pod-eip-instanceid"))
                yield return [new InvalidCase($"{key}={Shorten(value)}", A((key, value)), key, ["eip-", "lowercase"])];

        // An invalid ID is refused even when pod-with-eip says false: the ID itself is a request.
        yield return [new InvalidCase("instance id with pod-with-eip false", A((Asks, "false"), (New + "pod-eip-instanceid", "EIP-1")), New + "pod-eip-instanceid", ["eip-"])];
        // An empty ID next to pod-with-eip "true" is ambiguous: bind which EIP, or allocate one?
        foreach (var key in Spellings("pod-eip-instanceid"))
            yield return [new InvalidCase($"{key} empty with pod-with-eip true", A((Asks, "true"), (key, " ")), key, ["empty", "remove the annotation"])];
        // PayByBandwidth raises the limit to 500, not beyond.
        yield return [new InvalidCase("PayByBandwidth 501", A((Asks, "true"), (New + "eip-internet-charge-type", "PayByBandwidth"), (Old + "eip-bandwidth", "501")), Old + "eip-bandwidth", ["1 to 500", "PayByBandwidth"])];
        yield return [new InvalidCase("compat PayByBandwidth 501", A((Asks, "true"), ("k8s.aliyun.com/eip-charge-type", "PayByBandwidth"), (New + "eip-bandwidth", "501")), New + "eip-bandwidth", ["1 to 500"])];
    }

    [Theory]
    [MemberData(nameof(InvalidCreationCases))]
    [MemberData(nameof(InvalidAskingCases))]
    public void Invalid_values_are_code_7_naming_the_key_the_value_and_what_is_allowed(InvalidCase c) =>
        AssertInvalid(c.Annotations, c.Key, c.Says);

    [Fact]
    public void There_are_enough_invalid_cases()
    {
        // The brief asks for at least ~80 invalid cases; keep the table from silently shrinking.
        Assert.True(InvalidCreationCases().Count() + InvalidAskingCases().Count() >= 200);
        // Every annotation of the README's "Pod annotations" table has invalid cases.
        var names = InvalidCreation.Select(c => c.Name).Distinct().Count();
        Assert.Equal(12, names);
    }

    [Fact]
    public void The_first_invalid_value_wins_over_warnings()
    {
        // Conflicting spellings warn, but a broken winner still fails ADD.
        var ex = Assert.Throws<CniException>(() => Parse((Asks, "true"), (New + "eip-isp", "Nope"), (Old + "eip-isp", "BGP")));
        Assert.Contains(New + "eip-isp", ex.Message);
        Assert.DoesNotContain(Old + "eip-isp", ex.Message);
    }

    [Fact]
    public void Error_details_show_control_characters_escaped_and_long_values_cut()
    {
        var ex = Assert.Throws<CniException>(() => Parse((Asks, "true"), (New + "eip-name", "a\u0001b")));
        Assert.Contains("\\u0001", ex.Details);
        Assert.DoesNotContain("\u0001", ex.Details);
        var longName = new string('n', 300);
        ex = Assert.Throws<CniException>(() => Parse((Asks, "true"), (New + "eip-name", longName)));
        Assert.DoesNotContain(longName, ex.Details);
        Assert.Contains("300 characters", ex.Details);
    }

    [Fact]
    public void Ownership_prefix_is_exported_for_the_tagger()
    {
        Assert.Equal("eip-cni.alibabacloud.com/", EipRequestParser.OwnershipTagPrefix);
    }

    private static void AssertInvalid(IReadOnlyDictionary<string, string> annotations, string key, string[] says)
    {
        var ex = Assert.Throws<CniException>(() => EipRequestParser.Parse(annotations));
        Assert.Equal(CniCode.InvalidConfig, ex.Code);
        Assert.Contains(key, ex.Message);
        Assert.StartsWith(key + "=", ex.Details);
        foreach (var word in says) Assert.Contains(word, ex.Details);
        // Precedence must not blur which spelling failed: no other spelling of the name appears in the message.
        foreach (var other in annotations.Keys.Where(k => k != key)) Assert.DoesNotContain(other, ex.Message);
    }

    private static string Shorten(string s) => s.Length > 24 ? $"{s[..20]}…({s.Length})" : s.Replace("\n", "\\n").Replace("\t", "\\t").Replace("\0", "\\0");
}

using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace AliyunSim.Cloud;

/// <summary>One elastic network interface of the simulated instance.</summary>
public sealed record Eni(string NetworkInterfaceId, string Mac, string PrimaryIp, IReadOnlyList<string> SecondaryIps,
    string Type, string VSwitchId, IReadOnlyDictionary<string, string> Tags)
{
    public bool Owns(string ip) => ip == PrimaryIp || SecondaryIps.Contains(ip);
}

/// <summary>A user-owned EIP that exists before the test starts.</summary>
public sealed record SeedEip(string AllocationId, string IpAddress, IReadOnlyDictionary<string, string> Tags,
    string? BindToEni, string? BindToIp);

/// <summary>A shared (common) bandwidth package.</summary>
public sealed record BandwidthPackage(string Id, string Isp, int Bandwidth);

/// <summary>The fixed part of the simulated account: instance, ENIs, seed EIPs, packages, credentials and quotas.</summary>
public sealed class World
{
    public required string Region { get; init; }
    public required string AccountId { get; init; }
    public required string AccessKeyId { get; init; }
    public required string AccessKeySecret { get; init; }
    public required string InstanceId { get; init; }
    public required string VpcId { get; init; }
    public required string ZoneId { get; init; }
    public required string ResourceGroupId { get; init; }
    public required string SecurityGroupId { get; init; }
    public required IReadOnlyList<Eni> Enis { get; init; }
    public required IReadOnlyList<SeedEip> Eips { get; init; }
    public required IReadOnlyList<BandwidthPackage> BandwidthPackages { get; init; }
    public required int Quota { get; init; }
    public required string RamRole { get; init; }
    public required string RoleArn { get; init; }
    public required string OidcProviderArn { get; init; }
    public required int CredentialTtlSeconds { get; init; }

    public Eni? FindEni(string id) => Enis.FirstOrDefault(e => e.NetworkInterfaceId == id);
    public Eni? EniOwning(string ip) => Enis.FirstOrDefault(e => e.Owns(ip));

    public static World CreateDefault() => FromJson(new JsonObject());

    public static World Load(string path) =>
        FromJson(JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("seed file: expected a JSON object"));

    /// <summary>Reads a seed (the ready line's keys); anything absent gets the documented default world.</summary>
    public static World FromJson(JsonObject seed)
    {
        string Str(string key, string fallback) => seed[key]?.GetValue<string>() ?? fallback;
        var vpcId = Str("vpcId", Ids.New("vpc-bp1"));
        var zone = Str("zoneId", "cn-hangzhou-i");
        var vsw = Str("vswitchId", Ids.New("vsw-bp1"));
        var enis = seed["enis"] is JsonArray ea
            ? ea.Select(n => ParseEni((JsonObject)n!, vsw)).ToList()
            : DefaultEnis(vsw);
        var eips = seed["eips"] is JsonArray pa
            ? pa.Select(n => ParseSeedEip((JsonObject)n!)).ToList()
            : [new SeedEip(Ids.New("eip-bp1"), "198.51.100.9", new Dictionary<string, string>(), null, null)];
        var packages = seed["bandwidthPackages"] is JsonArray ba
            ? ba.Select(n => n is JsonObject o
                ? new BandwidthPackage(o["id"]!.GetValue<string>(), o["isp"]?.GetValue<string>() ?? "BGP", o["bandwidth"]?.GetValue<int>() ?? 200)
                : new BandwidthPackage(n!.GetValue<string>(), "BGP", 200)).ToList()
            : [new BandwidthPackage(Ids.New("cbwp-bp1"), "BGP", 200)];
        return new World
        {
            Region = Str("region", "cn-hangzhou"),
            AccountId = Str("accountId", "1234567890"),
            AccessKeyId = Str("accessKeyId", "LTAI" + Ids.Random(20, Ids.AlnumMixed)),
            AccessKeySecret = Str("accessKeySecret", Ids.Random(30, Ids.AlnumMixed)),
            InstanceId = Str("instanceId", Ids.New("i-bp1")),
            VpcId = vpcId,
            ZoneId = zone,
            ResourceGroupId = Str("resourceGroupId", "rg-acfm" + Ids.Random(10, Ids.Alnum)),
            SecurityGroupId = Str("securityGroupId", Ids.New("sg-bp1")),
            Enis = enis,
            Eips = eips,
            BandwidthPackages = packages,
            Quota = seed["quota"]?.GetValue<int>() ?? 20,
            RamRole = Str("ramRole", "EipCniNodeRole"),
            RoleArn = Str("roleArn", "acs:ram::1234567890:role/eip-cni"),
            OidcProviderArn = Str("oidcProviderArn", "acs:ram::1234567890:oidc-provider/ack-rrsa-c1"),
            CredentialTtlSeconds = seed["credentialTtlSeconds"]?.GetValue<int>() ?? 3600,
        };
    }

    static List<Eni> DefaultEnis(string vsw) =>
    [
        new(Ids.New("eni-bp1"), Ids.Mac(), "10.250.0.1", Enumerable.Range(2, 39).Select(i => $"10.250.0.{i}").ToList(), "Primary", vsw,
            new Dictionary<string, string>()),
        new(Ids.New("eni-bp1"), Ids.Mac(), "10.250.1.1", Enumerable.Range(2, 39).Select(i => $"10.250.1.{i}").ToList(), "Secondary", vsw,
            new Dictionary<string, string> { ["creator"] = "terway" }),
    ];

    static Eni ParseEni(JsonObject o, string defaultVsw) => new(
        o["networkInterfaceId"]?.GetValue<string>() ?? Ids.New("eni-bp1"),
        o["mac"]?.GetValue<string>() ?? Ids.Mac(),
        o["primaryIp"]?.GetValue<string>() ?? throw new InvalidDataException("seed: every eni needs primaryIp"),
        (o["secondaryIps"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList() ?? [],
        o["type"]?.GetValue<string>() ?? "Secondary",
        o["vswitchId"]?.GetValue<string>() ?? defaultVsw,
        StringMap(o["tags"]));

    static SeedEip ParseSeedEip(JsonObject o)
    {
        var bind = o["bindTo"] as JsonObject;
        return new SeedEip(
            o["allocationId"]?.GetValue<string>() ?? Ids.New("eip-bp1"),
            o["ipAddress"]?.GetValue<string>() ?? throw new InvalidDataException("seed: every eip needs ipAddress"),
            StringMap(o["tags"]),
            bind?["networkInterfaceId"]?.GetValue<string>(),
            bind?["privateIpAddress"]?.GetValue<string>());
    }

    internal static Dictionary<string, string> StringMap(JsonNode? node) =>
        node is JsonObject o ? o.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "") : new Dictionary<string, string>();

    /// <summary>The one JSON line printed on stdout once the simulator listens.</summary>
    public string ReadyLine(string url) => new JsonObject
    {
        ["url"] = url,
        ["region"] = Region,
        ["accountId"] = AccountId,
        ["accessKeyId"] = AccessKeyId,
        ["accessKeySecret"] = AccessKeySecret,
        ["instanceId"] = InstanceId,
        ["vpcId"] = VpcId,
        ["zoneId"] = ZoneId,
        ["ramRole"] = RamRole,
        ["roleArn"] = RoleArn,
        ["oidcProviderArn"] = OidcProviderArn,
        ["quota"] = Quota,
        ["credentialTtlSeconds"] = CredentialTtlSeconds,
        ["enis"] = new JsonArray(Enis.Select(e => (JsonNode)new JsonObject
        {
            ["networkInterfaceId"] = e.NetworkInterfaceId,
            ["mac"] = e.Mac,
            ["primaryIp"] = e.PrimaryIp,
            ["secondaryIps"] = new JsonArray(e.SecondaryIps.Select(ip => (JsonNode)JsonValue.Create(ip)!).ToArray()),
            ["type"] = e.Type,
            ["vswitchId"] = e.VSwitchId,
        }).ToArray()),
        ["eips"] = new JsonArray(Eips.Select(e => (JsonNode)new JsonObject
        {
            ["allocationId"] = e.AllocationId,
            ["ipAddress"] = e.IpAddress,
        }).ToArray()),
        ["bandwidthPackages"] = new JsonArray(BandwidthPackages.Select(b => (JsonNode)JsonValue.Create(b.Id)!).ToArray()),
    }.ToJsonString(AliyunSim.Api.SimJson.Options);
}

/// <summary>Random identifiers shaped like Alibaba Cloud's.</summary>
public static class Ids
{
    public const string Alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
    public const string AlnumMixed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Random(int length, string alphabet) => RandomNumberGenerator.GetString(alphabet, length);

    public static string New(string prefix) => prefix + Random(18, Alnum);

    public static string Mac() => "00:16:3e:" + string.Join(':', RandomNumberGenerator.GetBytes(3).Select(b => b.ToString("x2")));

    public static string RequestId() => Guid.NewGuid().ToString().ToUpperInvariant();
}

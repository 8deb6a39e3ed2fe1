using System.Text.Json.Nodes;
using AliyunSim.Cloud;

namespace AliyunSim.Services;

/// <summary>The ECS instance metadata service (docs/cloud-api.md §8), including hardened mode (PUT /latest/api/token).</summary>
public sealed class MetadataService(World world, SimConfig config, SimClock clock, CredentialStore credentials)
{
    readonly Lock gate = new();
    readonly Dictionary<string, DateTimeOffset> tokens = new(StringComparer.Ordinal);

    /// <summary>PUT /latest/api/token → (status, body).</summary>
    public (int Status, string Body) IssueToken(string? ttlHeader, bool forwarded)
    {
        if (forwarded) return (400, "a token request must not carry X-Forwarded-For");
        if (!int.TryParse(ttlHeader, out var ttl) || ttl is < 1 or > 21600)
            return (400, "X-aliyun-ecs-metadata-token-ttl-seconds must be an integer in 1..21600");
        var token = Ids.Random(56, Ids.AlnumMixed + "_-");
        lock (gate) tokens[token] = clock.UtcNow.AddSeconds(ttl);
        return (200, token);
    }

    /// <summary>GET /latest/meta-data/{path} → (status, content type, body).</summary>
    public (int Status, string ContentType, string Body) Get(string path, string? token)
    {
        if (token is not null)
        {
            bool valid;
            lock (gate) valid = tokens.TryGetValue(token, out var until) && clock.UtcNow < until;
            if (!valid) return (401, "text/plain", "invalid or expired metadata token");
        }
        else if (config.HardenedMetadata)
        {
            return (401, "text/plain", "hardened mode: a metadata token is required (PUT /latest/api/token)");
        }

        var primary = world.Enis.FirstOrDefault(e => e.Type == "Primary") ?? world.Enis[0];
        var text = path.TrimEnd('/') switch
        {
            "" => "region-id\nzone-id\ninstance-id\nvpc-id\nvswitch-id\nmac\nprivate-ipv4\nowner-account-id\nnetwork/\nram/",
            "region-id" => world.Region,
            "zone-id" => world.ZoneId,
            "instance-id" => world.InstanceId,
            "instance/instance-type" => "ecs.g7.large",
            "owner-account-id" => world.AccountId,
            "vpc-id" => world.VpcId,
            "vswitch-id" => primary.VSwitchId,
            "vpc-cidr-block" => "10.250.0.0/16",
            "vswitch-cidr-block" => "10.250.0.0/16",
            "mac" => primary.Mac,
            "private-ipv4" => primary.PrimaryIp,
            "network" => "interfaces/",
            "network/interfaces" => "macs/",
            "network/interfaces/macs" => string.Join('\n', world.Enis.Select(e => e.Mac + "/")),
            "ram" => "security-credentials/",
            "ram/security-credentials" => world.RamRole,
            _ => null,
        };
        if (text is not null) return (200, "text/plain", text);

        const string macs = "network/interfaces/macs/";
        if (path.StartsWith(macs, StringComparison.Ordinal))
        {
            var rest = path[macs.Length..].Split('/', 2);
            var eni = world.Enis.FirstOrDefault(e => e.Mac == rest[0]);
            if (eni is not null)
            {
                var item = rest.Length > 1 ? rest[1].TrimEnd('/') : "";
                var value = item switch
                {
                    "" => "network-interface-id\nprimary-ip-address\nprivate-ipv4s\nvpc-id\nvswitch-id\nvswitch-cidr-block\nvpc-cidr-block\nnetmask\ngateway",
                    "network-interface-id" => eni.NetworkInterfaceId,
                    "primary-ip-address" => eni.PrimaryIp,
                    "private-ipv4s" => new JsonArray(new[] { eni.PrimaryIp }.Concat(eni.SecondaryIps).Select(ip => (JsonNode)JsonValue.Create(ip)!).ToArray()).ToJsonString(AliyunSim.Api.SimJson.Options),
                    "vpc-id" => world.VpcId,
                    "vswitch-id" => eni.VSwitchId,
                    "vswitch-cidr-block" or "vpc-cidr-block" => "10.250.0.0/16",
                    "netmask" => "255.255.0.0",
                    "gateway" => "10.250.255.253",
                    _ => null, // e.g. ipv6s: 404 when the ENI has no IPv6, as observed
                };
                if (value is not null) return (200, "text/plain", value);
            }
        }

        const string role = "ram/security-credentials/";
        if (path.StartsWith(role, StringComparison.Ordinal) && path[role.Length..].TrimEnd('/') == world.RamRole)
        {
            var cred = credentials.RoleCredential(config.CredentialTtlSeconds);
            var body = new JsonObject
            {
                ["AccessKeyId"] = cred.AccessKeyId,
                ["AccessKeySecret"] = cred.AccessKeySecret,
                ["SecurityToken"] = cred.SecurityToken,
                ["Expiration"] = SimClock.Iso(cred.Expiration),
                ["LastUpdated"] = SimClock.Iso(cred.IssuedAt),
                ["Code"] = "Success",
            };
            return (200, "text/plain", body.ToJsonString(AliyunSim.Api.SimJson.Options));
        }
        return (404, "text/plain", "Not Found");
    }

    public void Clear() { lock (gate) tokens.Clear(); }
}

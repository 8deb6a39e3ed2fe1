using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AliyunSim.Api;
using AliyunSim.Cloud;

namespace AliyunSim.Services;

/// <summary>STS 2015-04-01 AssumeRoleWithOIDC (anonymous): validates the request against the world and issues credentials.</summary>
public sealed partial class StsService(World world, SimConfig config, SimClock clock, CredentialStore credentials)
{
    public JsonObject AssumeRoleWithOidc(ApiParams p)
    {
        var roleArn = p.Required("RoleArn");
        var providerArn = p.Required("OIDCProviderArn");
        var token = p.Required("OIDCToken");
        var session = p.Required("RoleSessionName");
        var duration = p.Int("DurationSeconds", 900, 43200) ?? 3600;
        if (token.Length is < 4 or > 20000) throw Errors.Invalid("OIDCToken", "must be 4..20000 characters");
        if (!SessionName().IsMatch(session)) throw Errors.Invalid("RoleSessionName", $"'{session}' must be 2..64 characters of [A-Za-z0-9.@_-]");
        if (p.Get("Policy") is { Length: > 2048 }) throw Errors.Invalid("Policy", "longer than 2048 characters");
        if (roleArn != world.RoleArn) throw new ApiException(404, "EntityNotExist.Role", $"The role not exists: {roleArn}.");
        if (providerArn != world.OidcProviderArn) throw new ApiException(404, "EntityNotExist.OIDCProvider", $"The OIDC provider not exists: {providerArn}.");

        var lifetime = TimeSpan.FromSeconds(Math.Min(duration, config.CredentialTtlSeconds));
        var cred = credentials.Issue(lifetime, "sts");
        var claims = JwtClaims(token);
        var roleName = roleArn[(roleArn.LastIndexOf('/') + 1)..];
        return new JsonObject
        {
            ["Credentials"] = new JsonObject
            {
                ["AccessKeyId"] = cred.AccessKeyId,
                ["AccessKeySecret"] = cred.AccessKeySecret,
                ["SecurityToken"] = cred.SecurityToken,
                ["Expiration"] = SimClock.Iso(cred.Expiration),
            },
            ["AssumedRoleUser"] = new JsonObject
            {
                ["Arn"] = $"acs:ram::{world.AccountId}:assumed-role/{roleName}/{session}",
                ["AssumedRoleId"] = $"39{Ids.Random(15, "0123456789")}:{session}",
            },
            ["OIDCTokenInfo"] = new JsonObject
            {
                ["Subject"] = claims?["sub"]?.ToString() ?? "",
                ["Issuer"] = claims?["iss"]?.ToString() ?? "",
                ["ClientIds"] = claims?["aud"] is JsonArray aud ? string.Join(',', aud.Select(a => a?.ToString())) : claims?["aud"]?.ToString() ?? "",
                ["IssuanceTime"] = SimClock.Iso(clock.UtcNow),
                ["ExpirationTime"] = SimClock.Iso(cred.Expiration),
                ["VerificationInfo"] = "Success",
            },
            ["SourceIdentity"] = "",
        };
    }

    /// <summary>Best-effort read of a JWT's claims (the simulator does not verify the token's signature).</summary>
    static JsonObject? JwtClaims(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            var b64 = parts[1].Replace('-', '+').Replace('_', '/');
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(b64))) as JsonObject;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9.@_-]{2,64}$")]
    private static partial Regex SessionName();
}

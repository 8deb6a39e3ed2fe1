using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>
/// Mints and reads service account tokens: ES256 JWTs with the claims the apiserver puts in them (iss, sub, aud, exp, iat, nbf and the
/// kubernetes.io object), signed by a key made at start. Reading checks the signature only; expiry, audience and the service account's
/// existence are the authenticator's checks.
/// </summary>
public sealed class ServiceAccountTokens : IDisposable
{
    /// <summary>The issuer and the apiserver's own audience, kubeadm's defaults.</summary>
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _keyId;

    public ServiceAccountTokens()
    {
        _keyId = Base64Url(SHA256.HashData(_key.ExportSubjectPublicKeyInfo()));
    }

    public string Mint(TokenClaims claims)
    {
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = _keyId };
        var kubernetes = new JsonObject
        {
            ["namespace"] = claims.Namespace,
            ["serviceaccount"] = new JsonObject { ["name"] = claims.ServiceAccount, ["uid"] = claims.ServiceAccountUid },
        };
        if (claims.PodName is not null) kubernetes["pod"] = new JsonObject { ["name"] = claims.PodName, ["uid"] = claims.PodUid };
        var payload = new JsonObject
        {
            ["aud"] = new JsonArray(claims.Audiences.Select(a => (JsonNode)a).ToArray()),
            ["exp"] = claims.Expiry.ToUnixTimeSeconds(),
            ["iat"] = claims.IssuedAt.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = kubernetes,
            ["nbf"] = claims.IssuedAt.ToUnixTimeSeconds(),
            ["sub"] = claims.User,
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        // .NET's default ECDSA signature format is IEEE P1363 (r||s), which is what JWS ES256 wants.
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>The claims of a token this simulator signed; null for anything else (another key, a bad signature, not a JWT).</summary>
    public TokenClaims? Read(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            if (!_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2]), HashAlgorithmName.SHA256)) return null;
            var payload = JsonNode.Parse(FromBase64Url(parts[1])) as JsonObject;
            var k = payload?["kubernetes.io"];
            if (payload is null || k is null || payload["iss"]?.GetValue<string>() != Issuer) return null;
            return new TokenClaims(
                Claim<string>(k["namespace"]),
                Claim<string>(k["serviceaccount"]?["name"]),
                Claim<string>(k["serviceaccount"]?["uid"]),
                payload["aud"] is JsonArray aud ? aud.Select(a => Claim<string>(a)).ToList() : [],
                DateTimeOffset.FromUnixTimeSeconds(Claim<long>(payload["iat"])),
                DateTimeOffset.FromUnixTimeSeconds(Claim<long>(payload["exp"])),
                k["pod"]?["name"]?.GetValue<string>(),
                k["pod"]?["uid"]?.GetValue<string>());
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static T Claim<T>(JsonNode? node) => node is null ? throw new FormatException("a claim is missing") : node.GetValue<T>();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }

    public void Dispose() => _key.Dispose();
}

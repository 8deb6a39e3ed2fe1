using System.Security.Cryptography;
using System.Text;

namespace KubeSim;

/// <summary>
/// Who is calling: a static bearer token, a client certificate our CA issued (user = its CN), or a service account token the TokenRequest
/// API minted. A service account token authenticates while it is unexpired (plus the leeway), carries the apiserver's audience, and its
/// service account (and bound pod) still exist with the uids it names. Anything else is 401.
/// </summary>
public sealed class Authenticator(SimPki pki, ServiceAccountTokens tokens, SimStore store, IReadOnlyDictionary<string, string> staticTokens,
    TimeSpan leeway)
{
    public string Authenticate(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            const string bearer = "Bearer ";
            if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) throw ApiError.Unauthorized();
            var token = header[bearer.Length..].Trim();
            foreach (var (known, user) in staticTokens)
                if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(known), Encoding.UTF8.GetBytes(token))) return user;
            return ServiceAccount(token) ?? throw ApiError.Unauthorized();
        }
        var cert = context.Connection.ClientCertificate;
        if (cert is not null && pki.IsIssuedByCa(cert)) return SimPki.UserOf(cert);
        throw ApiError.Unauthorized();
    }

    private string? ServiceAccount(string token)
    {
        if (tokens.Read(token) is not { } claims) return null;
        var now = DateTimeOffset.UtcNow;
        if (now > claims.Expiry + leeway || now < claims.IssuedAt - leeway) return null;
        if (!claims.Audiences.Contains(ServiceAccountTokens.Issuer)) return null;
        if (!store.Exists(ResourceType.ServiceAccounts, claims.Namespace, claims.ServiceAccount, claims.ServiceAccountUid)) return null;
        if (claims.PodName is not null && !store.Exists(ResourceType.Pods, claims.Namespace, claims.PodName, claims.PodUid ?? "")) return null;
        return claims.User;
    }
}

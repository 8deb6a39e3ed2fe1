using AliyunSim.Cloud;

namespace AliyunSim.Services;

/// <summary>Temporary credentials issued by the simulated STS or the metadata service.</summary>
public sealed record TemporaryCredential(string AccessKeyId, string AccessKeySecret, string SecurityToken,
    DateTimeOffset IssuedAt, DateTimeOffset Expiration, string Source);

/// <summary>The AccessKeys the simulator accepts: the world's static key and every temporary credential it issued.</summary>
public sealed class CredentialStore(World world, SimClock clock)
{
    readonly Lock gate = new();
    readonly Dictionary<string, TemporaryCredential> byAccessKey = new(StringComparer.Ordinal);
    readonly Dictionary<string, TemporaryCredential> byToken = new(StringComparer.Ordinal);
    TemporaryCredential? roleCredential;

    public TemporaryCredential Issue(TimeSpan lifetime, string source)
    {
        var now = clock.UtcNow;
        var cred = new TemporaryCredential(
            "STS.NT" + Ids.Random(26, Ids.AlnumMixed),
            Ids.Random(44, Ids.AlnumMixed),
            "CAIS" + Ids.Random(300, Ids.AlnumMixed + "+/") + "=",
            now, now + lifetime, source);
        lock (gate)
        {
            byAccessKey[cred.AccessKeyId] = cred;
            byToken[cred.SecurityToken] = cred;
        }
        return cred;
    }

    /// <summary>Accepts a credential with known values (unit tests replaying published vectors).</summary>
    internal void Register(TemporaryCredential cred)
    {
        lock (gate)
        {
            byAccessKey[cred.AccessKeyId] = cred;
            byToken[cred.SecurityToken] = cred;
        }
    }

    /// <summary>
    /// The instance RAM role's current credential. Like ECS, a new set appears 30 min before the old one expires
    /// (half the lifetime for short test lifetimes); the old set stays valid until its own expiry.
    /// </summary>
    public TemporaryCredential RoleCredential(int ttlSeconds)
    {
        lock (gate)
        {
            var ttl = TimeSpan.FromSeconds(ttlSeconds);
            var overlap = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(30).Ticks, ttl.Ticks / 2));
            if (roleCredential is null || clock.UtcNow >= roleCredential.Expiration - overlap)
                roleCredential = Issue(ttl, "metadata");
            return roleCredential;
        }
    }

    /// <summary>Resolves the secret for an AccessKey, applying the STS token checks; throws the documented error.</summary>
    public string SecretFor(string accessKeyId, string? securityToken)
    {
        if (accessKeyId == world.AccessKeyId)
        {
            if (securityToken is not null) throw Api.Errors.TokenMismatch();
            return world.AccessKeySecret;
        }
        TemporaryCredential? byId, byTok = null;
        lock (gate)
        {
            byAccessKey.TryGetValue(accessKeyId, out byId);
            if (securityToken is not null) byToken.TryGetValue(securityToken, out byTok);
        }
        if (securityToken is null)
        {
            if (byId is not null || accessKeyId.StartsWith("STS.", StringComparison.Ordinal)) throw Api.Errors.TokenMalformed();
            throw Api.Errors.AccessKeyNotFound();
        }
        if (byTok is null) throw Api.Errors.TokenMalformed();
        if (byTok.AccessKeyId != accessKeyId) throw Api.Errors.TokenMismatch();
        if (clock.UtcNow >= byTok.Expiration) throw Api.Errors.TokenExpired();
        return byTok.AccessKeySecret;
    }

    public void ForgetRoleCredential() { lock (gate) roleCredential = null; }
}

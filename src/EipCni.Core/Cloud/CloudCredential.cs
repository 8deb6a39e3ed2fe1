namespace EipCni.Cloud;

/// <summary>
/// An AccessKey pair, with an STS token and expiry for temporary credentials. <see cref="ToString"/> prints neither
/// the secret nor the AccessKey ID: the ID names the account's key and is an identity an attacker wants too.
/// </summary>
public sealed record CloudCredential(string AccessKeyId, string AccessKeySecret, string? SecurityToken, DateTimeOffset? Expiration, string Source)
{
    /// <summary>True when the credential expires within <paramref name="margin"/> of <paramref name="now"/>.</summary>
    public bool ExpiresWithin(TimeSpan margin, DateTimeOffset now) => Expiration is { } e && e - now < margin;

    public override string ToString() =>
        $"CloudCredential {{ Source = {Source}, Temporary = {SecurityToken is not null}, Expiration = {Expiration?.ToString("O") ?? "none"} }}";
}

/// <summary>Where the signed calls get their credential from (resolved lazily, on the first call).</summary>
public interface ICredentialSource
{
    /// <summary>A credential valid for at least a few more minutes.</summary>
    ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken);

    /// <summary>The cloud rejected <paramref name="rejected"/> as expired or invalid: drop it so the next <see cref="GetAsync"/> fetches a fresh one.</summary>
    void Invalidate(CloudCredential rejected);
}

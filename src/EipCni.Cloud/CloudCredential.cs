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

    /// <summary>Longest STS token accepted (real ones are 1–3 KB; a gateway refuses headers much longer than this anyway).</summary>
    public const int MaxSecurityTokenLength = 16 * 1024;

    /// <summary>
    /// Null when every field can be sent: the AccessKey ID (a header value, <c>A-Za-z0-9._-</c>, ≤ 128), the secret
    /// (the signing key, visible ASCII, ≤ 256) and the STS token (a header value, visible ASCII, ≤ 16 KiB). Else what
    /// is wrong, naming the field and where it came from, never the value.
    /// </summary>
    public string? Problem()
    {
        var (id, secret, token) = FieldNames(Source);
        if (Http.HeaderValues.IdentifierProblem(AccessKeyId, 128) is { } p1) return $"{id} {p1}";
        if (Http.HeaderValues.VisibleAsciiProblem(AccessKeySecret, 256) is { } p2) return $"{secret} {p2}";
        if (SecurityToken is not null && Http.HeaderValues.VisibleAsciiProblem(SecurityToken, MaxSecurityTokenLength) is { } p3) return $"{token} {p3}";
        return null;
    }

    /// <summary>This credential, or a <see cref="CloudException"/> (<see cref="CloudErrorCodes.UnusableCredential"/>) saying which field cannot be sent.</summary>
    public CloudCredential EnsureUsable(string action) =>
        Problem() is { } problem ? throw new CloudException(action, CloudErrorCodes.UnusableCredential, problem, null, 0) : this;

    /// <summary>The three fields as the operator knows them in <paramref name="source"/>.</summary>
    private static (string Id, string Secret, string Token) FieldNames(string source) => source switch
    {
        "eni_conf" => ("eni_conf access_key", "eni_conf access_secret", "eni_conf security token"),
        "environment" => ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
        "rrsa" => ("Credentials.AccessKeyId of the STS AssumeRoleWithOIDC answer", "Credentials.AccessKeySecret of the STS AssumeRoleWithOIDC answer",
            "Credentials.SecurityToken of the STS AssumeRoleWithOIDC answer"),
        "ecs-ram-role" => ("AccessKeyId of the instance RAM role credential from the metadata service",
            "AccessKeySecret of the instance RAM role credential from the metadata service",
            "SecurityToken of the instance RAM role credential from the metadata service"),
        _ => ($"AccessKeyId of the {source} credential", $"AccessKeySecret of the {source} credential", $"SecurityToken of the {source} credential"),
    };
}

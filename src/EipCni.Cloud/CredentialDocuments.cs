using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

internal sealed record AssumeRoleWithOidcCredentials(string? AccessKeyId, string? AccessKeySecret, string? SecurityToken, string? Expiration)
{
    public override string ToString() => nameof(AssumeRoleWithOidcCredentials);
}

internal sealed record AssumeRoleWithOidcResponse(string? RequestId, AssumeRoleWithOidcCredentials? Credentials);

internal sealed record RamRoleCredentialDocument(string? AccessKeyId, string? AccessKeySecret, string? SecurityToken, string? Expiration, string? LastUpdated, string? Code)
{
    public override string ToString() => nameof(RamRoleCredentialDocument);
}

internal sealed record CredentialCacheFile(string Key, string? Source, string? AccessKeyId, string? AccessKeySecret, string? SecurityToken, DateTimeOffset? Expiration)
{
    public override string ToString() => nameof(CredentialCacheFile);
}

using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

/// <summary>The instance RAM role's credential from the metadata service (<c>ram/security-credentials/</c>).</summary>
public sealed class EcsRamRoleCredentialFetcher : ITemporaryCredentialFetcher
{
    private readonly IInstanceMetadata _metadata;
    private string? _roleName;

    /// <param name="roleName">Null: the role attached to the instance, discovered from the metadata service.</param>
    public EcsRamRoleCredentialFetcher(IInstanceMetadata metadata, string? roleName)
    {
        _metadata = metadata;
        _roleName = string.IsNullOrEmpty(roleName) ? null : roleName;
    }

    public string CacheKey => "ecs-ram-role:" + (_roleName ?? "(attached)");

    public async Task<CloudCredential> FetchAsync(CancellationToken cancellationToken)
    {
        const string action = "metadata ram/security-credentials";
        if (_roleName is null)
        {
            var names = await _metadata.GetAsync("ram/security-credentials/", cancellationToken).ConfigureAwait(false);
            _roleName = names.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
                ?? throw new CloudException(action, "NoRamRole", "no RAM role is attached to this instance and no other credential is configured", null, 200);
        }
        // The name goes into the metadata path: a listed name with '/', '?' or a line break would read something else.
        if (Http.HeaderValues.IdentifierProblem(_roleName, 64) is { } badName)
            throw new CloudException(action, CloudErrorCodes.InvalidResponse, $"the RAM role name (ALIBABA_CLOUD_ECS_METADATA, else the metadata service's list) {badName}", null, 200);
        var text = await _metadata.GetAsync("ram/security-credentials/" + _roleName, cancellationToken).ConfigureAwait(false);
        RamRoleCredentialDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(text, CloudJsonContext.Default.RamRoleCredentialDocument);
        }
        catch (JsonException)
        {
            // The text holds secrets: say nothing about its content.
            throw new CloudException(action, CloudErrorCodes.InvalidResponse, $"the credential of role {_roleName} is not JSON", null, 200);
        }
        if (doc is null || doc.Code != "Success" || string.IsNullOrEmpty(doc.AccessKeyId) || string.IsNullOrEmpty(doc.AccessKeySecret))
            throw new CloudException(action, "RamRoleCredentialNotReady", $"the metadata service returned Code \"{doc?.Code}\" for role {_roleName}", null, 200);
        return new CloudCredential(doc.AccessKeyId, doc.AccessKeySecret, doc.SecurityToken, TemporaryCredentials.ParseExpiration(action, doc.Expiration), "ecs-ram-role")
            .EnsureUsable(action);
    }
}

using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

/// <summary>RRSA: exchanges the pod's OIDC token (re-read from its file every time) for a role credential with STS AssumeRoleWithOIDC.</summary>
public sealed class OidcRoleCredentialFetcher : ITemporaryCredentialFetcher
{
    private readonly OpenApiClient _anonymous;
    private readonly CloudEndpoints _endpoints;
    private readonly string _roleArn;
    private readonly string _providerArn;
    private readonly string _tokenFile;
    private readonly string _sessionName;
    private readonly TimeSpan _duration;

    public OidcRoleCredentialFetcher(OpenApiClient anonymous, CloudEndpoints endpoints, string roleArn, string providerArn,
        string tokenFile, string? sessionName, TimeSpan? duration = null)
    {
        _anonymous = anonymous;
        _endpoints = endpoints;
        _roleArn = roleArn;
        _providerArn = providerArn;
        _tokenFile = tokenFile;
        _sessionName = string.IsNullOrEmpty(sessionName) ? "eip-cni-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) : sessionName;
        _duration = duration ?? TimeSpan.FromHours(1);
    }

    public string CacheKey => "rrsa:" + _roleArn;

    public async Task<CloudCredential> FetchAsync(CancellationToken cancellationToken)
    {
        string token;
        try
        {
            // A regular file of at most 64 KiB, read without blocking: a FIFO or /dev/zero here must not hang the call.
            token = (ConfigFile.ReadText(_tokenFile, ConfigFile.TokenLimit)
                ?? throw new CloudException("AssumeRoleWithOIDC", "OidcTokenUnreadable", $"the OIDC token file {_tokenFile} does not exist", null, 0)).Trim();
        }
        catch (IOException e)
        {
            // The messages name the file and what is wrong with it, never its content.
            throw new CloudException("AssumeRoleWithOIDC", "OidcTokenUnreadable", $"cannot use the OIDC token file: {e.Message}", null, 0);
        }
        var endpoints = await _endpoints.GetAsync(cancellationToken).ConfigureAwait(false);
        var parameters = new RpcParameters()
            .Add("RoleArn", _roleArn)
            .Add("OIDCProviderArn", _providerArn)
            .Add("OIDCToken", token)
            .Add("RoleSessionName", _sessionName)
            .Add("DurationSeconds", (int)_duration.TotalSeconds);
        var call = new RpcCall(endpoints.Sts, "AssumeRoleWithOIDC", "2015-04-01", parameters, Anonymous: true);
        var response = await _anonymous.CallAsync(call, CloudJsonContext.Default.AssumeRoleWithOidcResponse, cancellationToken).ConfigureAwait(false);
        var c = response.Credentials;
        if (c is null || string.IsNullOrEmpty(c.AccessKeyId) || string.IsNullOrEmpty(c.AccessKeySecret) || string.IsNullOrEmpty(c.SecurityToken))
            throw new CloudException("AssumeRoleWithOIDC", CloudErrorCodes.InvalidResponse, "the answer has no Credentials", response.RequestId, 200);
        return new CloudCredential(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken, TemporaryCredentials.ParseExpiration("AssumeRoleWithOIDC", c.Expiration), "rrsa")
            .EnsureUsable("AssumeRoleWithOIDC");
    }
}

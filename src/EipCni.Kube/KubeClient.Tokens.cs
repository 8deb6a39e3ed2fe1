using System.Globalization;
using System.Text.Json;

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    /// <summary>
    /// TokenRequest: a new token of the service account <paramref name="ns"/>/<paramref name="serviceAccount"/> that expires
    /// after <paramref name="lifetime"/> (the server may shorten or, below its minimum of 10 minutes, refuse it) for
    /// <paramref name="audiences"/> (none: the API server's own). A retried request after a lost answer only mints another
    /// token. The token is checked as a bearer header value before it is returned (BadAnswer otherwise), never logged.
    /// </summary>
    public async Task<ServiceAccountToken> RequestTokenAsync(string ns, string serviceAccount, TimeSpan lifetime,
        IReadOnlyList<string>? audiences, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/namespaces/{Escape(ns)}/serviceaccounts/{Escape(serviceAccount)}/token";
        var request = new TokenRequestDto
        {
            Spec = new TokenRequestSpecDto
            {
                ExpirationSeconds = (long)lifetime.TotalSeconds,
                Audiences = audiences is { Count: > 0 } ? audiences.ToList() : null,
            },
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(request, KubeJsonContext.Default.TokenRequestDto);
        var dto = await SendAsync(HttpMethod.Post, path, body, "application/json", KubeJsonContext.Default.TokenRequestDto,
            RetryConflicts.No, cancellationToken).ConfigureAwait(false);

        var token = dto.Status?.Token;
        if (Kubeconfig.TokenProblem(token ?? "") is { } problem)
            throw new KubeException(201, "BadAnswer", $"the token in the answer {problem}", "POST", path, 1);
        if (!DateTimeOffset.TryParse(dto.Status?.ExpirationTimestamp, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expires))
            throw new KubeException(201, "BadAnswer", "the answer has no valid status.expirationTimestamp", "POST", path, 1);
        return new ServiceAccountToken(token!, expires);
    }
}

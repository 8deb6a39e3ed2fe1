using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using EipCni.Http;

namespace EipCni.Cloud;

/// <summary>
/// Metadata client in hardened mode: a token from <c>PUT /latest/api/token</c> goes with every GET, a 401 gets a
/// fresh token, 429 and 5xx are retried. If the token endpoint does not exist (403/404/405) it falls back to plain GETs.
/// </summary>
public sealed class InstanceMetadata : IInstanceMetadata
{
    private const string TokenHeader = "X-aliyun-ecs-metadata-token";
    private const string TokenTtlHeader = "X-aliyun-ecs-metadata-token-ttl-seconds";
    private const int MaxTokenLength = 4096;
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly MetadataSettings _settings;
    private readonly ILog _log;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private string? _token;
    private DateTimeOffset _tokenRenewAt;
    private bool _tokensUnsupported;

    public InstanceMetadata(HttpClient http, Uri baseUri, MetadataSettings settings, ILog log, TimeProvider time)
    {
        _http = http;
        _base = baseUri;
        _settings = settings;
        _log = log;
        _time = time;
    }

    public Task<string> GetRegionIdAsync(CancellationToken cancellationToken) => GetAsync("region-id", cancellationToken);
    public Task<string> GetInstanceIdAsync(CancellationToken cancellationToken) => GetAsync("instance-id", cancellationToken);
    public Task<string> GetVpcIdAsync(CancellationToken cancellationToken) => GetAsync("vpc-id", cancellationToken);

    public async Task<IReadOnlyList<string>> GetMacsAsync(CancellationToken cancellationToken)
    {
        var text = await GetAsync("network/interfaces/macs/", cancellationToken).ConfigureAwait(false);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(m => m.TrimEnd('/'))
            .Where(m => m.Length > 0)
            .ToList();
    }

    public async Task<MetadataEni> GetEniAsync(string mac, CancellationToken cancellationToken)
    {
        var prefix = "network/interfaces/macs/" + mac + "/";
        var id = await GetAsync(prefix + "network-interface-id", cancellationToken).ConfigureAwait(false);
        var primary = await GetAsync(prefix + "primary-ip-address", cancellationToken).ConfigureAwait(false);
        var ipsText = await GetAsync(prefix + "private-ipv4s", cancellationToken).ConfigureAwait(false);
        string[] ips;
        try
        {
            ips = JsonSerializer.Deserialize(ipsText, CloudJsonContext.Default.StringArray) ?? [];
        }
        catch (JsonException e)
        {
            throw new CloudException("metadata " + prefix + "private-ipv4s", CloudErrorCodes.InvalidResponse,
                "expected a JSON array of IPv4 addresses", null, 200, innerException: e);
        }
        return new MetadataEni(mac, id, primary, ips);
    }

    public async Task<string> GetAsync(string path, CancellationToken cancellationToken)
    {
        var action = "metadata " + path;
        CloudException? last = null;
        for (var attempt = 1; attempt <= _settings.Attempts; attempt++)
        {
            if (attempt > 1 && !await _settings.Policy.WaitAsync(attempt - 1, null, _time, cancellationToken).ConfigureAwait(false))
                throw last!;
            try
            {
                var token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
                var (status, text) = await SendAsync(HttpMethod.Get, new Uri(_base, "/latest/meta-data/" + path), token, cancellationToken).ConfigureAwait(false);
                if (status == HttpStatusCode.OK) return text.Trim();
                if (status == HttpStatusCode.Unauthorized && token is not null)
                {
                    // The token expired or the service restarted: the next attempt fetches a new one.
                    DropToken(token);
                    last = new CloudException(action, "MetadataTokenRejected", "the metadata token was refused", null, 401);
                    continue;
                }
                last = new CloudException(action, status == HttpStatusCode.NotFound ? "MetadataNotFound" : "Http" + ((int)status).ToString(CultureInfo.InvariantCulture),
                    Short(text), null, (int)status);
                if (status != HttpStatusCode.TooManyRequests && (int)status < 500) throw last;
            }
            catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
            {
                throw last ?? new CloudException(action, CloudErrorCodes.DeadlineExceeded, "no answer before the budget of this CNI call ran out", null, 0, innerException: e);
            }
            catch (CloudException e) when (e.IsRetryable)
            {
                last = e;
            }
            _log.Write(LogLevel.Warn, "metadata request failed", ("path", path), ("code", last.Code), ("attempt", attempt));
        }
        throw last!;
    }

    private async Task<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_tokensUnsupported) return null;
        var now = _time.GetUtcNow();
        if (_token is { } cached && now < _tokenRenewAt) return cached;
        await _tokenLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is { } fresh && _time.GetUtcNow() < _tokenRenewAt) return fresh;
            var ttl = ((int)_settings.TokenTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            var (status, text) = await SendAsync(HttpMethod.Put, new Uri(_base, "/latest/api/token"), null, cancellationToken, (TokenTtlHeader, ttl)).ConfigureAwait(false);
            if (status == HttpStatusCode.OK && text.Length > 0)
            {
                // It goes into a header of every metadata request: a line break would add a header of the server's choosing.
                if (HeaderValues.VisibleAsciiProblem(text.Trim(), MaxTokenLength) is { } problem)
                    throw new CloudException("metadata api/token", CloudErrorCodes.InvalidResponse, $"the metadata token {problem}", null, 200);
                _token = text.Trim();
                _tokenRenewAt = now + _settings.TokenTtl / 2;
                return _token;
            }
            if (status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.Forbidden)
            {
                _log.Write(LogLevel.Info, "metadata service has no token endpoint, using plain requests", ("httpStatus", (int)status));
                _tokensUnsupported = true;
                return null;
            }
            throw new CloudException("metadata api/token", "Http" + ((int)status).ToString(CultureInfo.InvariantCulture), Short(text), null, (int)status);
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private void DropToken(string token)
    {
        if (_token == token) _token = null;
    }

    private async Task<(HttpStatusCode Status, string Text)> SendAsync(HttpMethod method, Uri uri, string? token,
        CancellationToken cancellationToken, (string Name, string Value)? header = null)
    {
        var action = "metadata " + uri.AbsolutePath;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(method, uri);
            if (token is not null) request.Headers.Add(TokenHeader, token);
            if (header is { } h) request.Headers.Add(h.Name, h.Value);
            // Headers first, then at most MetadataBytes of the body: every real answer is a few hundred bytes.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            byte[] body;
            try
            {
                body = await BoundedAnswer.ReadAsync(response, AnswerLimits.MetadataBytes, timeout.Token).ConfigureAwait(false);
            }
            catch (AnswerTooLargeException e)
            {
                throw new CloudException(action, CloudErrorCodes.InvalidResponse, e.Message, null, (int)response.StatusCode, innerException: e);
            }
            return (response.StatusCode, Encoding.UTF8.GetString(body));
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CloudException(action, CloudErrorCodes.RequestTimeout, $"no answer within {_settings.RequestTimeout.TotalSeconds:0.#} s", null, 0, innerException: e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException && TlsRefusal.Describe(e) is { } why)
        {
            throw new CloudException(action, CloudErrorCodes.TlsRejected, $"TLS handshake with {uri.Authority} failed: {why}", null, 0, innerException: e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new CloudException(action, CloudErrorCodes.ConnectionFailed, OpenApiClient.DescribeConnectionError(e, uri), null, 0, innerException: e);
        }
    }

    private static string Short(string text)
    {
        var t = text.ReplaceLineEndings(" ").Trim();
        return t.Length == 0 ? "no message" : t.Length > 200 ? t[..200] : t;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EipCni.Http;

namespace EipCni.Cloud;

/// <summary>
/// Sends Alibaba Cloud RPC calls: POST to the endpoint, every parameter in the query, empty body, signed with V3;
/// retries retryable failures with jittered exponential backoff inside the caller's budget.
/// </summary>
/// <remarks>
/// Every attempt gets a fresh nonce, date and signature but the same parameters, so a ClientToken given by the
/// caller is kept across the retries of one logical call. When the caller's token fires, the last error is thrown;
/// if no attempt got an answer, a <see cref="CloudErrorCodes.DeadlineExceeded"/> error. All failures are
/// <see cref="CloudException"/>.
/// </remarks>
public sealed class OpenApiClient
{
    private const string FormContentType = "application/x-www-form-urlencoded";
    private readonly HttpClient _http;
    private readonly ICredentialSource? _credentials;
    private readonly ICloudCallGate _gate;
    private readonly RetrySettings _settings;
    private readonly ILog _log;
    private readonly TimeProvider _time;
    private readonly Action<CloudException>? _attemptFailed;

    /// <param name="http">The process-wide client (its own Timeout must be infinite: the timeouts here rule).</param>
    /// <param name="credentials">Null for a client that only makes anonymous calls.</param>
    /// <param name="attemptFailed">Told of every failed attempt, retried or not (the agent counts cloud errors and throttles).</param>
    public OpenApiClient(HttpClient http, ICredentialSource? credentials, ICloudCallGate gate, RetrySettings settings, ILog log, TimeProvider time,
        Action<CloudException>? attemptFailed = null)
    {
        _attemptFailed = attemptFailed;
        _http = http;
        _credentials = credentials;
        _gate = gate;
        _settings = settings;
        _log = log;
        _time = time;
    }

    /// <summary>Runs one logical call with retries and parses the success answer as <typeparamref name="T"/>.</summary>
    public async Task<T> CallAsync<T>(RpcCall call, JsonTypeInfo<T> responseType, CancellationToken cancellationToken)
    {
        CloudException? last = null;
        var credentialRefreshed = false;
        var used = new UsedCredential();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AttemptAsync(call, responseType, attempt, used, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
            {
                throw last ?? new CloudException(call.Action, CloudErrorCodes.DeadlineExceeded,
                    "no answer before the budget of this CNI call ran out", null, 0, innerException: e);
            }
            catch (CloudException e) when (!credentialRefreshed && used.Value?.SecurityToken is not null && IsRejectedCredential(e.Code))
            {
                // A cached temporary credential the cloud no longer accepts: fetch a fresh one and try once more.
                _attemptFailed?.Invoke(e);
                last = e;
                credentialRefreshed = true;
                _credentials!.Invalidate(used.Value);
                _log.Write(LogLevel.Warn, "the credential was rejected, refreshing it", ("action", call.Action), ("code", e.Code), ("requestId", e.RequestId));
                continue;
            }
            catch (CloudException e)
            {
                _attemptFailed?.Invoke(e);
                last = e;
                if (!e.IsRetryable || !_settings.Policy.MayRetry(attempt)) throw;
            }

            var delay = _settings.Policy.Delay(attempt, last.RetryAfter);
            _log.Write(LogLevel.Warn, "cloud call failed, retrying", ("action", call.Action), ("code", last.Code),
                ("httpStatus", last.HttpStatus), ("requestId", last.RequestId), ("attempt", attempt), ("delayMs", delay));
            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw last;
            }
        }
    }

    /// <summary>The credential the latest attempt signed with (async methods cannot return it by ref).</summary>
    private sealed class UsedCredential
    {
        public CloudCredential? Value;
    }

    private async Task<T> AttemptAsync<T>(RpcCall call, JsonTypeInfo<T> responseType, int attempt, UsedCredential used, CancellationToken cancellationToken)
    {
        using var slot = call.Mutating ? await _gate.EnterAsync(cancellationToken).ConfigureAwait(false) : null;
        CloudCredential? credential = null;
        if (!call.Anonymous)
        {
            if (_credentials is null) throw new InvalidOperationException("this client has no credentials; only anonymous calls are possible");
            credential = used.Value = await _credentials.GetAsync(cancellationToken).ConfigureAwait(false);
        }

        if (credential?.Problem() is { } problem)
            throw new CloudException(call.Action, CloudErrorCodes.UnusableCredential, problem, null, 0);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.RequestTimeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = BuildRequest(call, credential, attempt);
            // Headers first: the body is read through a cap (the default would buffer any size before returning).
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var body = await ReadBodyAsync(call, response, status, timeout.Token).ConfigureAwait(false);
            if (_log.IsEnabled(LogLevel.Debug))
                _log.Write(LogLevel.Debug, "cloud call", ("action", call.Action), ("attempt", attempt), ("httpStatus", status),
                    ("elapsed", Stopwatch.GetElapsedTime(started)));
            if (status is >= 200 and < 300)
            {
                var containers = CheckShape(call, status, body);
                var parsed = ParseSuccess(call.Action, status, body, responseType);
                call.Listing?.Spend(body.Length, containers);
                return parsed;
            }
            throw ParseError(call.Action, response, body);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CloudException(call.Action, CloudErrorCodes.RequestTimeout,
                $"no answer within {_settings.RequestTimeout.TotalSeconds:0.#} s", null, 0, innerException: e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException && TlsRefusal.Describe(e) is { } why)
        {
            // The same certificate is refused on every attempt: final at once, naming the endpoint and the problem.
            throw new CloudException(call.Action, CloudErrorCodes.TlsRejected, $"TLS handshake with {call.Endpoint.Authority} failed: {why}", null, 0, innerException: e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new CloudException(call.Action, CloudErrorCodes.ConnectionFailed, DescribeConnectionError(e, call.Endpoint), null, 0, innerException: e);
        }
    }

    /// <summary>The body, at most a small answer's size, or a page's within what the listing has left.</summary>
    private static async Task<byte[]> ReadBodyAsync(RpcCall call, HttpResponseMessage response, int status, CancellationToken cancellationToken)
    {
        var limit = call.Listing is { } listing ? Math.Min(AnswerLimits.PageBytes, Math.Max(0, listing.BytesLeft)) : AnswerLimits.CloudBytes;
        try
        {
            return await BoundedAnswer.ReadAsync(response, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (AnswerTooLargeException e)
        {
            var message = limit < AnswerLimits.PageBytes && call.Listing is not null
                ? $"the pages of this listing are larger than {AnswerLimits.Size(AnswerLimits.ListingBytes)} together"
                : e.Message;
            throw new CloudException(call.Action, CloudErrorCodes.InvalidResponse, message, RequestIdHeader(response), status, innerException: e);
        }
    }

    /// <summary>Refuses an answer that would become too many objects in memory; returns how many objects and arrays it holds.</summary>
    private static int CheckShape(RpcCall call, int status, byte[] body)
    {
        var (containers, _) = JsonShape.Measure(body);
        var allowed = call.Listing?.ContainersLeft ?? AnswerLimits.CloudContainers;
        if (containers <= allowed) return containers;
        var message = call.Listing is null
            ? $"the answer holds more than {AnswerLimits.CloudContainers} JSON objects and arrays"
            : $"the pages of this listing hold more than {AnswerLimits.ListingContainers} JSON objects and arrays together";
        throw new CloudException(call.Action, CloudErrorCodes.InvalidResponse, message, TryReadRequestId(body), status);
    }

    private HttpRequestMessage BuildRequest(RpcCall call, CloudCredential? credential, int attempt)
    {
        var endpoint = call.Endpoint;
        var nonce = Guid.NewGuid().ToString("N");
        var now = _time.GetUtcNow().UtcDateTime;
        HttpRequestMessage request;
        if (call.Anonymous)
        {
            // The credentials SDKs' form: common params in the query, API params in a form body, no signature.
            var query = new RpcParameters()
                .Add("Action", call.Action).Add("Version", call.Version).Add("Format", "JSON")
                .Add("Timestamp", now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))
                .Add("SignatureNonce", nonce);
            request = new HttpRequestMessage(HttpMethod.Post, BuildUri(endpoint, AcsSigner.CanonicalQuery(query)))
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes(FormBody(call.Parameters))),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(FormContentType);
        }
        else
        {
            var canonicalQuery = AcsSigner.CanonicalQuery(call.Parameters);
            request = new HttpRequestMessage(HttpMethod.Post, BuildUri(endpoint, canonicalQuery))
            {
                // An empty body, sent as an empty body (Content-Length: 0, no content-type, so the signature is the same).
                // It stops SocketsHttpHandler from re-sending this very request on its own: the pool re-sends a request
                // whose answer ended before its first byte (a kept-alive connection closed by the server or a load
                // balancer), but only while no request content has been sent. Its copy would carry our nonce again and
                // the cloud would answer SignatureNonceUsed, even though the first copy may have been carried out. No
                // option turns that re-send off; this keeps connection reuse, and our own retry signs afresh.
                Content = new ByteArrayContent([]),
            };
            var headers = new List<KeyValuePair<string, string>>
            {
                new("host", endpoint.Authority),
                new("x-acs-action", call.Action),
                new("x-acs-version", call.Version),
                new("x-acs-date", now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
                new("x-acs-signature-nonce", nonce),
                new("x-acs-content-sha256", AcsSigner.EmptyPayloadHash),
            };
            if (credential!.SecurityToken is { } token) headers.Add(new("x-acs-security-token", token));
            // Every x-acs-* header sent must be signed (the gateway refuses unsigned ones).
            if (attempt > 1) headers.Add(new("x-acs-retry-attempts", (attempt - 1).ToString(CultureInfo.InvariantCulture)));
            var signature = AcsSigner.Sign("POST", "/", call.Parameters, headers, AcsSigner.EmptyPayloadHash,
                credential.AccessKeyId, credential.AccessKeySecret);
            // Added with validation: a value that could end the header line is refused, never sent (the credential was
            // checked before; this is the last guard).
            foreach (var (name, value) in headers)
                if (name != "host") request.Headers.Add(name, value);
            // The scheme is checked as a token and the parameter for line breaks (its own syntax is not HTTP's auth-param).
            request.Headers.Authorization = new AuthenticationHeaderValue(AcsSigner.Algorithm,
                signature.Authorization[(AcsSigner.Algorithm.Length + 1)..]);
        }
        request.Headers.Add("accept", "application/json");
        request.Headers.Add("user-agent", "eip-cni");
        return request;
    }

    /// <summary>Encodes the body exactly as signed: RFC 3986, not <c>+</c> for space.</summary>
    internal static string FormBody(RpcParameters parameters) =>
        string.Join('&', parameters.Select(p => AcsSigner.Encode(p.Key) + "=" + AcsSigner.Encode(p.Value)));

    private static Uri BuildUri(Uri endpoint, string canonicalQuery)
    {
        // Built as a string so nothing re-encodes the query after it was signed.
        var text = $"{endpoint.Scheme}://{endpoint.Authority}/";
        return new Uri(canonicalQuery.Length == 0 ? text : text + "?" + canonicalQuery);
    }

    private static T ParseSuccess<T>(string action, int status, byte[] body, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type)
                ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new CloudException(action, CloudErrorCodes.InvalidResponse, "the answer is not the documented JSON: " + e.Message,
                TryReadRequestId(body), status, innerException: e);
        }
    }

    internal static CloudException ParseError(string action, HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        CloudErrorBody? parsed = null;
        try
        {
            parsed = JsonSerializer.Deserialize(body, CloudJsonContext.Default.CloudErrorBody);
        }
        catch (JsonException)
        {
            // Not JSON (a proxy or load balancer page): classified by the HTTP status alone.
        }
        var code = !string.IsNullOrEmpty(parsed?.Code) ? parsed.Code : "Http" + status.ToString(CultureInfo.InvariantCulture);
        var message = !string.IsNullOrEmpty(parsed?.Message) ? parsed.Message : ShortText(body, response.ReasonPhrase);
        var requestId = !string.IsNullOrEmpty(parsed?.RequestId) ? parsed.RequestId : RequestIdHeader(response);
        return new CloudException(action, code, message, requestId, status, ReadRetryAfter(response));
    }

    private static string? RequestIdHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-acs-request-id", out var ids) ? ids.FirstOrDefault() : null;

    private static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("x-acs-retry-after", out var values)) return null;
        return long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : null;
    }

    private static string? TryReadRequestId(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, CloudJsonContext.Default.CloudErrorBody)?.RequestId;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ShortText(byte[] body, string? reason)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).ReplaceLineEndings(" ").Trim();
        return text.Length > 0 ? text : reason ?? "no message";
    }

    /// <summary>A failed connection in words, naming the endpoint once: "cannot connect to host:port: Connection refused".</summary>
    internal static string DescribeConnectionError(Exception e, Uri endpoint)
    {
        var authority = endpoint.Authority;
        var what = (e as HttpRequestException)?.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => $"cannot resolve the name of {authority}",
            HttpRequestError.ConnectionError => $"cannot connect to {authority}",
            HttpRequestError.SecureConnectionError => $"TLS handshake with {authority} failed",
            HttpRequestError.ResponseEnded => $"{authority} closed the connection before the answer was complete",
            _ => $"the connection to {authority} failed",
        };
        // A specific HttpRequestException says it best; a generic one ("An error occurred while sending the request")
        // wraps the real cause (e.g. "Connection reset by peer").
        var cause = e;
        if (e is not HttpRequestException { HttpRequestError: not HttpRequestError.Unknown })
            while (cause.InnerException is { } inner) cause = inner;
        var detail = cause.Message.Replace($" ({authority})", "", StringComparison.Ordinal).TrimEnd('.');
        return $"{what}: {detail}";
    }

    /// <summary>Refused by the cloud, or by us before sending (a cached credential with a field that cannot be sent).</summary>
    private static bool IsRejectedCredential(string code) =>
        code.StartsWith("InvalidSecurityToken", StringComparison.Ordinal) || code is "InvalidAccessKeyId.NotFound" or CloudErrorCodes.UnusableCredential;
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EipCni.Http;

namespace EipCni.Kube;

/// <summary>
/// A small hand-written Kubernetes client for the CNI hot path (KubernetesClient costs ~36 ms and 16 MB per start):
/// one HttpClient over SocketsHttpHandler, TLS verified against the kubeconfig CA, bearer token or client certificate,
/// and retries with backoff on throttling, 5xx, connection failures and (for patches without resourceVersion) 409,
/// all bounded by the caller's CancellationToken.
/// </summary>
public sealed partial class KubeClient : IKubePods, IKubeLeases, IDisposable
{
    private readonly Kubeconfig _config;
    private readonly KubeClientOptions _options;
    private readonly ILog _log;
    private readonly HttpClient _http;
    private readonly ApiServerTrust? _trust;
    private readonly TimeProvider _time;

    public KubeClient(Kubeconfig config, ILog log, KubeClientOptions? options = null, TimeProvider? time = null)
    {
        _config = config;
        _log = log;
        _options = options ?? new KubeClientOptions();
        _time = time ?? TimeProvider.System;

        var handler = new SocketsHttpHandler
        {
            UseProxy = false, // node-local plugin talks to the API server directly; proxy-url is refused in the kubeconfig
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        // No CA and no tls-server-name in the kubeconfig: the platform's default validation against the system roots, as kubectl.
        if (config.CertificateAuthorities is not null || config.TlsServerName is not null)
        {
            _trust = new ApiServerTrust(config.CertificateAuthorities, config.TlsServerName);
            handler.SslOptions.RemoteCertificateValidationCallback = _trust.Validate;
        }
        if (config.ClientCertificate is { } clientCertificate)
        {
            handler.SslOptions.ClientCertificates = new() { clientCertificate };
            // Offer our certificate whatever CA names the server lists: the server decides.
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }
        // Answers are read through a cap (Http.BoundedAnswer); the buffer size only guards a buffered read added later.
        _http = new HttpClient(handler) { BaseAddress = config.Server, Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = AnswerLimits.KubeBytes };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Which failures a call may retry besides 429, 5xx and connection failures.</summary>
    private enum RetryConflicts { No, Yes }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    /// <summary>Sends one API call with retries; returns the decoded answer.</summary>
    private Task<T> SendAsync<T>(HttpMethod method, string path, byte[]? body, string? contentType,
        JsonTypeInfo<T> answer, RetryConflicts retryConflicts, CancellationToken cancellationToken,
        Func<KubeException, int, bool>? acceptFailure = null) =>
        SendAsync(method, path, body, contentType, (bytes, attempt) => Decode(bytes, answer, method, path, attempt),
            retryConflicts, cancellationToken, acceptFailure);

    /// <summary>Sends one API call with retries; <paramref name="decode"/> turns a 2xx answer (and its attempt number) into the result.</summary>
    private async Task<T> SendAsync<T>(HttpMethod method, string path, byte[]? body, string? contentType,
        Func<byte[], int, T> decode, RetryConflicts retryConflicts, CancellationToken cancellationToken,
        Func<KubeException, int, bool>? acceptFailure = null)
    {
        var started = Stopwatch.GetTimestamp();
        KubeException? last = null;
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(_options.RequestTimeout);
            try
            {
                using var request = NewRequest(method, path, body, contentType);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptTimeout.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                byte[] bytes;
                try
                {
                    bytes = await BoundedAnswer.ReadAsync(response, AnswerLimits.KubeBytes, attemptTimeout.Token).ConfigureAwait(false);
                }
                catch (AnswerTooLargeException e)
                {
                    throw new KubeException(status, "BadAnswer", e.Message, method.Method, path, attempt, e);
                }
                if (status is >= 200 and < 300)
                {
                    LogDone(method, path, status, attempt, started);
                    return decode(bytes, attempt);
                }
                last = FromStatus(status, bytes, method, path, attempt, out var statusRetryAfter);
                retryAfter = RetryAfter(response) ?? statusRetryAfter;
                if (acceptFailure is not null && acceptFailure(last, attempt))
                {
                    LogDone(method, path, status, attempt, started);
                    return default!;
                }
                var retryable = status is 429 or >= 500 || (status == 409 && retryConflicts == RetryConflicts.Yes && last.Reason != "AlreadyExists");
                if (!retryable) throw last;
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                last = ConnectionFailure(e, method, path, attempt);
                if (last.Reason == "TlsRejected") throw last;
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                last = new KubeException(0, "Timeout", $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s", method.Method, path, attempt, e);
            }
            catch (OperationCanceledException e)
            {
                throw GaveUp(last, method, path, attempt, e);
            }

            if (!_options.Policy.MayRetry(attempt))
                throw last.WithAttempts(attempt, "gave up", null);

            var delay = _options.Policy.Delay(attempt, retryAfter);
            _log.Write(LogLevel.Warn, "kubernetes call failed, retrying",
                ("method", method.Method), ("path", path), ("status", last.StatusCode), ("reason", last.Reason),
                ("attempt", attempt), ("delayMs", (long)delay.TotalMilliseconds));
            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException e)
            {
                throw GaveUp(last, method, path, attempt, e);
            }
        }
    }

    /// <summary>
    /// A request with the bearer token of the moment. A token file is re-read for every request, so its content is checked
    /// here, where it becomes a header (a kubeconfig's own token was checked when it was parsed); the setter refuses line
    /// breaks again.
    /// </summary>
    private HttpRequestMessage NewRequest(HttpMethod method, string path, byte[]? body, string? contentType)
    {
        var request = new HttpRequestMessage(method, path);
        try
        {
            if (_config.ReadToken() is { } token)
            {
                if (Kubeconfig.TokenProblem(token) is { } problem)
                    throw new KubeconfigException(_config.Source, _config.TokenFile is null ? "token" : "tokenFile",
                        _config.TokenFile is null ? problem : $"the token in {_config.TokenFile} {problem}");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
            }
            return request;
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    /// <summary>No answer: a refused TLS handshake (final: TlsRejected) or a connection that failed (ConnectionFailed, retryable).</summary>
    private KubeException ConnectionFailure(HttpRequestException e, HttpMethod method, string path, int attempt)
    {
        var refused = TlsRefusal.Describe(e);
        if (refused is not null || e.HttpRequestError == HttpRequestError.SecureConnectionError && _trust?.LastRejection is not null)
        {
            var why = _trust?.LastRejection ?? refused ?? e.Message;
            return new KubeException(0, "TlsRejected", $"TLS handshake with {_config.Server.Authority} failed: {why}", method.Method, path, attempt, e);
        }
        // SocketsHttpHandler's connect errors name the endpoint already ("Connection refused (host:port)").
        var authority = _config.Server.Authority;
        var failure = e.Message.Contains(authority, StringComparison.Ordinal) ? e.Message : $"{authority}: {e.Message}";
        return new KubeException(0, "ConnectionFailed", failure, method.Method, path, attempt, e);
    }

    private static KubeException GaveUp(KubeException? last, HttpMethod method, string path, int attempt, OperationCanceledException e) =>
        last?.WithAttempts(attempt, "the budget of this CNI call ran out", e)
        ?? new KubeException(0, "Timeout", "deadline reached before the API server answered", method.Method, path, attempt, e);

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
    }

    private static KubeException FromStatus(int status, byte[] body, HttpMethod method, string path, int attempt, out TimeSpan? retryAfter)
    {
        retryAfter = null;
        string reason = ((HttpStatusCode)status).ToString(), message;
        try
        {
            var dto = JsonSerializer.Deserialize(body, KubeJsonContext.Default.StatusDto);
            if (!string.IsNullOrEmpty(dto?.Reason)) reason = dto.Reason;
            message = string.IsNullOrEmpty(dto?.Message) ? $"HTTP {status}" : dto.Message;
            if (dto?.Details?.RetryAfterSeconds is > 0 and var seconds) retryAfter = TimeSpan.FromSeconds(seconds);
        }
        catch (JsonException)
        {
            // Not a Status object (a proxy in between, an old server): keep a short, printable excerpt.
            var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).ReplaceLineEndings(" ").Trim();
            message = text.Length == 0 ? $"HTTP {status}" : text;
        }
        return new KubeException(status, reason, message, method.Method, path, attempt);
    }

    private static T Decode<T>(byte[] body, JsonTypeInfo<T> answer, HttpMethod method, string path, int attempt) =>
        Decode(body, bytes => JsonSerializer.Deserialize(bytes, answer), method, path, attempt);

    /// <summary>A 2xx answer through its shape cap and <paramref name="deserialize"/>; anything else is BadAnswer.</summary>
    private static T Decode<T>(byte[] body, Func<byte[], T?> deserialize, HttpMethod method, string path, int attempt)
    {
        // A pod's annotations, labels and lists become objects in memory: a few MiB of tiny entries would be millions.
        if (JsonShape.Measure(body).MostItems > AnswerLimits.KubeItems)
            throw new KubeException(200, "BadAnswer", $"an object or list in the answer has more than {AnswerLimits.KubeItems} entries",
                method.Method, path, attempt);
        try
        {
            return deserialize(body) ?? throw new KubeException(200, "BadAnswer", "empty answer", method.Method, path, attempt);
        }
        catch (JsonException e)
        {
            throw new KubeException(200, "BadAnswer", $"answer is not the expected JSON: {e.Message}", method.Method, path, attempt, e);
        }
    }

    private void LogDone(HttpMethod method, string path, int status, int attempt, long started)
    {
        if (!_log.IsEnabled(LogLevel.Debug)) return;
        _log.Write(LogLevel.Debug, "kubernetes call", ("method", method.Method), ("path", path), ("status", status),
            ("attempts", attempt), ("elapsed", Stopwatch.GetElapsedTime(started)));
    }
}

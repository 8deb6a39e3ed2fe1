using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using EipCni.Http;

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    /// <summary>How long after the watch's own timeoutSeconds the client hangs up a stream the server did not end.</summary>
    private static readonly TimeSpan WatchGrace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Lists a collection (in <paramref name="ns"/>, or everywhere when null) with the selector; <paramref name="resourceVersion"/>
    /// null is a consistent read of the current state. One answer, no paging: what the agent lists (one ConfigMap, the pods of
    /// one node) is far below the answer cap of <see cref="AnswerLimits.KubeBytes"/>, beyond which the list is refused.
    /// </summary>
    public async Task<KubeList<T>> ListAsync<T>(KubeResource<T> resource, string? ns, KubeSelector selector, string? resourceVersion,
        CancellationToken cancellationToken) where T : class, IKubeObject
    {
        var path = resource.CollectionPath(ns) + Query(selector, resourceVersion, watch: null);
        return await SendAsync(HttpMethod.Get, path, null, null,
            (bytes, attempt) => Decode(bytes, resource.DecodeList, HttpMethod.Get, path, attempt),
            RetryConflicts.No, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Watches a collection from <paramref name="resourceVersion"/> (null or "0": the current objects as ADDED first). One
    /// attempt, no retries: the caller (<see cref="Informer{T}"/>) decides whether to watch again or list again. Ends when the
    /// server ends the stream (its timeoutSeconds, a restart); throws <see cref="KubeException"/> for an ERROR event (410
    /// Expired: list again), an answer that is not a watch, an event over <see cref="AnswerLimits.KubeBytes"/> or with more than
    /// <see cref="AnswerLimits.KubeItems"/> entries in an object or list, and a broken connection.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(KubeResource<T> resource, string? ns, KubeSelector selector, string? resourceVersion,
        WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken) where T : class, IKubeObject
    {
        var path = resource.CollectionPath(ns) + Query(selector, resourceVersion, options);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lifetime.CancelAfter(options.Timeout + WatchGrace);
        using var response = await OpenStreamAsync(path, lifetime.Token, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(lifetime.Token).ConfigureAwait(false);
        await using var _ = stream.ConfigureAwait(false);
        using var reader = new WatchLineReader(stream, AnswerLimits.KubeBytes);
        while (true)
        {
            WatchEvent<T>? next;
            try
            {
                var line = await reader.ReadLineAsync(lifetime.Token).ConfigureAwait(false);
                if (line is not { } bytes) yield break;
                if (IsBlank(bytes.Span)) continue;
                next = ParseEvent(resource, bytes.Span, path);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                _log.Write(LogLevel.Warn, "watch stream not ended by the server; hung up", ("path", path));
                yield break;
            }
            catch (WatchLineReader.AnswerTooLongException e)
            {
                throw new KubeException(200, "BadAnswer", e.Message, "GET", path, 1, e);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw new KubeException(0, "ConnectionFailed", $"the watch stream broke: {e.Message}", "GET", path, 1, e);
            }
            yield return next;
        }
    }

    /// <summary>The list and watch of one collection and selector, for an <see cref="Informer{T}"/>.</summary>
    public ListWatch<T> ListWatch<T>(KubeResource<T> resource, string? ns, KubeSelector selector) where T : class, IKubeObject => new(
        ct => ListAsync(resource, ns, selector, null, ct),
        (resourceVersion, options, ct) => WatchAsync(resource, ns, selector, resourceVersion, options, ct),
        $"{resource.Plural}{(ns is null ? "" : " in " + ns)}{Describe(selector)}");

    /// <summary>Sends the watch request (one attempt, bounded by the request timeout until the headers arrive) and checks the answer is a stream.</summary>
    private async Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken lifetime, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Get, path, null, null);
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        connect.CancelAfter(_options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw ConnectionFailure(e, HttpMethod.Get, path, 1);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KubeException(0, "Timeout", $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s", "GET", path, 1, e);
        }
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300) return response;
        using (response)
        {
            byte[] body;
            try
            {
                body = await BoundedAnswer.ReadAsync(response, AnswerLimits.KubeBytes, connect.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AnswerTooLargeException or IOException or HttpRequestException or OperationCanceledException
                                      && !cancellationToken.IsCancellationRequested)
            {
                body = [];
            }
            throw FromStatus(status, body, HttpMethod.Get, path, 1, out _);
        }
    }

    private WatchEvent<T> ParseEvent<T>(KubeResource<T> resource, ReadOnlySpan<byte> line, string path) where T : class, IKubeObject
    {
        if (JsonShape.Measure(line).MostItems > AnswerLimits.KubeItems)
            throw new KubeException(200, "BadAnswer", $"an object or list in a watch event has more than {AnswerLimits.KubeItems} entries", "GET", path, 1);
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            var root = doc.RootElement;
            var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString() : null;
            if (!root.TryGetProperty("object", out var obj) || obj.ValueKind != JsonValueKind.Object)
                throw new JsonException("the event has no object");
            switch (type)
            {
                case "ADDED" or "MODIFIED" or "DELETED":
                    var item = resource.DecodeItem(obj);
                    var kind = type == "ADDED" ? WatchEventType.Added : type == "MODIFIED" ? WatchEventType.Modified : WatchEventType.Deleted;
                    return new WatchEvent<T>(kind, item, item.ResourceVersion);
                case "BOOKMARK":
                    var version = obj.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object
                                  && meta.TryGetProperty("resourceVersion", out var rv) && rv.ValueKind == JsonValueKind.String ? rv.GetString() : null;
                    if (string.IsNullOrEmpty(version)) throw new JsonException("a BOOKMARK without metadata.resourceVersion");
                    return new WatchEvent<T>(WatchEventType.Bookmark, null, version);
                case "ERROR":
                    var status = obj.Deserialize(KubeJsonContext.Default.StatusDto);
                    throw new KubeException(status?.Code ?? 500, string.IsNullOrEmpty(status?.Reason) ? "InternalError" : status.Reason,
                        string.IsNullOrEmpty(status?.Message) ? "an ERROR event" : status.Message, "GET", path, 1);
                default:
                    throw new JsonException($"unknown event type \"{type}\"");
            }
        }
        catch (JsonException e)
        {
            throw new KubeException(200, "BadAnswer", $"a watch event is not the expected JSON: {e.Message}", "GET", path, 1, e);
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.Trim(" \t\r"u8).IsEmpty;

    /// <summary>The query string of a list (<paramref name="watch"/> null) or a watch.</summary>
    private static string Query(KubeSelector selector, string? resourceVersion, WatchOptions? watch)
    {
        var query = new StringBuilder();
        void Add(string key, string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            query.Append(query.Length == 0 ? '?' : '&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
        }
        if (watch is not null) Add("watch", "true");
        Add("fieldSelector", selector.Fields);
        Add("labelSelector", selector.Labels);
        Add("resourceVersion", resourceVersion);
        if (watch is not null)
        {
            if (watch.Bookmarks) Add("allowWatchBookmarks", "true");
            Add("timeoutSeconds", ((long)Math.Max(1, watch.Timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        }
        return query.ToString();
    }

    private static string Describe(KubeSelector selector) =>
        (selector.Fields is null ? "" : $" with {selector.Fields}") + (selector.Labels is null ? "" : $" labelled {selector.Labels}");
}

using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace KubeSim.Tests;

/// <summary>A watch as a client reads it: the response head, then one JSON event per line until the server ends the stream.</summary>
public sealed class WatchReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly Task _pump;

    private WatchReader(HttpResponseMessage response)
    {
        _response = response;
        _pump = PumpAsync();
    }

    public HttpStatusCode Status => _response.StatusCode;
    public string? ContentType => _response.Content.Headers.ContentType?.MediaType;
    public bool Chunked => _response.Headers.TransferEncodingChunked == true;

    /// <summary>Completes when the server has ended the stream.</summary>
    public Task Ended => _pump;

    public static async Task<WatchReader> OpenAsync(HttpClient http, string pathAndQuery)
    {
        var response = await http.GetAsync(pathAndQuery, HttpCompletionOption.ResponseHeadersRead);
        return new WatchReader(response);
    }

    private async Task PumpAsync()
    {
        try
        {
            using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_stop.Token));
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
                if (line.Length > 0) await _events.Writer.WriteAsync((JsonObject)JsonNode.Parse(line)!);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    /// <summary>The next event, or null when the stream ended; fails the test if none comes in time.</summary>
    public async Task<JsonObject?> NextAsync(int timeoutMs = 5000, bool skipBookmarks = true)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        try
        {
            while (await _events.Reader.WaitToReadAsync(timeout.Token))
            {
                var e = await _events.Reader.ReadAsync(timeout.Token);
                if (skipBookmarks && e["type"]!.GetValue<string>() == "BOOKMARK") continue;
                return e;
            }
            return null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no watch event within {timeoutMs} ms");
        }
    }

    /// <summary>The next event, asserting its type; returns its object.</summary>
    public async Task<JsonObject> ExpectAsync(string type, int timeoutMs = 5000)
    {
        var e = await NextAsync(timeoutMs, skipBookmarks: type != "BOOKMARK");
        Assert.NotNull(e);
        Assert.Equal(type, e["type"]!.GetValue<string>());
        return e["object"]!.AsObject();
    }

    /// <summary>Asserts that nothing but bookmarks arrives for a while.</summary>
    public async Task ExpectQuietAsync(int ms)
    {
        var e = await NextAsync(ms).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
        Assert.Null(e);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _pump;
        _stop.Dispose();
    }
}

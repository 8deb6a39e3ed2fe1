using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EipCni.Node;

/// <summary>
/// A minimal HTTP/1.1 server for <c>GET /metrics</c> (Prometheus text format 0.0.4) and <c>GET /healthz</c>: one
/// request per connection, then close. Requests are bounded (8 KiB of head, 5 s to send it, 16 connections at once);
/// anything but GET or HEAD is 405. HttpListener would do, but a GET-only responder is small and has nothing to
/// configure or trim.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    public const string MetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
    private const int MaxHeadBytes = 8 * 1024;
    private const int MaxConnections = 16;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly MetricsRegistry _registry;
    private readonly Func<string?> _unhealthy;
    private readonly ILog _log;
    private readonly SemaphoreSlim _slots = new(MaxConnections);
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    /// <param name="unhealthy">Why the agent is not healthy (/healthz answers 503 with it), or null when it is.</param>
    public MetricsServer(IPEndPoint address, MetricsRegistry registry, Func<string?> unhealthy, ILog log)
    {
        _listener = new TcpListener(address);
        _registry = registry;
        _unhealthy = unhealthy;
        _log = log;
    }

    /// <summary>Where it listens (the port is known once started, also when 0 was asked for).</summary>
    public IPEndPoint Address => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>
    /// Parses <c>HOST:PORT</c> (<c>[::1]:PORT</c> for IPv6), or <c>:PORT</c> for every IPv4 address (Go's form, as
    /// conf/daemonset.yaml writes it); a host name is not accepted.
    /// </summary>
    public static IPEndPoint ParseAddress(string text)
    {
        var full = text.StartsWith(':') ? "0.0.0.0" + text : text;
        // IPEndPoint alone would take a bare IP as port 0: the port must be written.
        return full.LastIndexOf(':') > full.LastIndexOf(']') && IPEndPoint.TryParse(full, out var address)
            ? address
            : throw new FormatException($"\"{text}\" is not an address to listen on (IP:PORT or :PORT, e.g. 0.0.0.0:9767, [::1]:9767 or :9767)");
    }

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                await _slots.WaitAsync(ct).ConfigureAwait(false);
                socket = await _listener.AcceptSocketAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                _slots.Release();
                _log.Write(LogLevel.Warn, "metrics server: accept failed", ("error", e.Message));
                continue;
            }
            _ = ServeAsync(socket, ct);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken ct)
    {
        try
        {
            using (socket)
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(RequestTimeout);
                var head = await ReadHeadAsync(socket, timeout.Token).ConfigureAwait(false);
                var response = head is null ? Respond(400, "text/plain", "bad request\n", true) : Answer(head);
                await socket.SendAsync(response, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            // A client that left or stalled: nothing to answer.
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>The request line and headers up to the blank line; null when they are malformed or too long.</summary>
    private static async Task<string?> ReadHeadAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) return null;
            length += n;
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0) return Encoding.ASCII.GetString(buffer, 0, end);
        }
        return null;
    }

    private byte[] Answer(string head)
    {
        var requestLine = head.Split("\r\n", 2)[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            return Respond(400, "text/plain", "bad request\n", true);
        var (method, target) = (requestLine[0], requestLine[1]);
        var path = target.Split('?', 2)[0];
        if (method is not ("GET" or "HEAD"))
            return Respond(405, "text/plain", "only GET and HEAD\n", true, "Allow: GET, HEAD\r\n");
        var withBody = method == "GET";
        switch (path)
        {
            case "/metrics":
                return Respond(200, MetricsContentType, _registry.Expose(), withBody);
            case "/healthz":
                var why = _unhealthy();
                return why is null ? Respond(200, "text/plain", "ok\n", withBody) : Respond(503, "text/plain", why + "\n", withBody);
            default:
                return Respond(404, "text/plain", "not found: try /metrics or /healthz\n", withBody);
        }
    }

    private static byte[] Respond(int status, string contentType, string body, bool withBody, string extraHeaders = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var reason = status switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", 405 => "Method Not Allowed", _ => "Service Unavailable" };
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n{extraHeaders}\r\n");
        return withBody ? [.. head, .. bytes] : head;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_accepting is not null) await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EipCni.Tests.Support;

/// <summary>One request as the hostile server read it (the body is read and dropped).</summary>
public sealed record HostileRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The path without the query.</summary>
    public string Path => Target.Split('?', 2)[0];

    /// <summary>The OpenAPI action (V3 header), or "" for metadata and kube requests.</summary>
    public string Action => Header("x-acs-action");

    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : "";

    /// <summary>A decoded query parameter, or "".</summary>
    public string Query(string name)
    {
        var query = Target.Contains('?') ? Target.Split('?', 2)[1] : "";
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (Uri.UnescapeDataString(kv[0]) == name) return kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return "";
    }
}

/// <summary>
/// What the hostile server sends back: a status, a content type and a body written by <see cref="Write"/>, with a
/// Content-Length (<see cref="Length"/>) or chunked when the length is null. Bodies of any size are streamed.
/// </summary>
public sealed record HostileAnswer(int Status, string ContentType, long? Length, Func<Stream, Task> Write)
{
    public static HostileAnswer Text(string text, int status = 200, string contentType = "text/plain") =>
        Bytes(Encoding.UTF8.GetBytes(text), status, contentType);

    public static HostileAnswer Json(string json, int status = 200) => Text(json, status, "application/json");

    public static HostileAnswer Bytes(byte[] body, int status = 200, string contentType = "application/json") =>
        new(status, contentType, body.Length, s => s.WriteAsync(body).AsTask());

    /// <summary>
    /// <paramref name="prefix"/>, then <paramref name="unit"/> <paramref name="count"/> times, then
    /// <paramref name="suffix"/>: e.g. a JSON list of 300k items, or 200 MB of one character. Chunked unless
    /// <paramref name="announceLength"/>, which sends the real Content-Length first.
    /// </summary>
    public static HostileAnswer Repeated(string prefix, string unit, long count, string suffix, bool announceLength = true, int status = 200,
        string contentType = "application/json")
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var one = Encoding.UTF8.GetBytes(unit);
        var tail = Encoding.UTF8.GetBytes(suffix);
        long length = head.Length + one.LongLength * count + tail.Length;
        return new(status, contentType, announceLength ? length : null, async s =>
        {
            await s.WriteAsync(head);
            // Whole units per block, so a unit is never split in a way that matters to the reader.
            var perBlock = Math.Max(1, 64 * 1024 / one.Length);
            var block = new byte[perBlock * one.Length];
            for (var i = 0; i < perBlock; i++) one.CopyTo(block, i * one.Length);
            for (var left = count; left > 0; left -= perBlock)
            {
                var n = (int)Math.Min(left, perBlock);
                await s.WriteAsync(block.AsMemory(0, n * one.Length));
            }
            await s.WriteAsync(tail);
        });
    }
}

/// <summary>
/// A loopback HTTP/1.1 server (plain or TLS) for tests of what a client does with hostile answers: every request is
/// answered by a script, one request per connection. Bodies are streamed, so a 200 MB answer costs the test nothing.
/// </summary>
public sealed class HostileServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<HostileRequest, HostileAnswer> _answer;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();

    /// <param name="certificate">With a private key: the server speaks TLS with it.</param>
    public HostileServer(Func<HostileRequest, HostileAnswer> answer, X509Certificate2? certificate = null)
    {
        _answer = answer;
        _certificate = certificate;
        _listener.Start(512);
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Url => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}";

    public ConcurrentQueue<HostileRequest> Requests { get; } = new();

    /// <summary>Requests of one OpenAPI action.</summary>
    public int Count(string action) => Requests.Count(r => r.Action == action);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(_certificate, clientCertificateRequired: false, checkCertificateRevocation: false);
                    stream = tls;
                }
                await using (stream)
                {
                    var request = await ReadRequestAsync(stream);
                    if (request is null) return;
                    Requests.Enqueue(request);
                    await WriteAnswerAsync(stream, _answer(request));
                }
            }
            catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // The client hung up (what a capped reader does) or refused our certificate.
            }
        }
    }

    private static async Task<HostileRequest?> ReadRequestAsync(Stream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 256 * 1024)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            head.Add(one[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n') break;
        }
        var lines = Encoding.Latin1.GetString(head.ToArray()).Split("\r\n");
        var start = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':');
            // A header line without a colon is kept whole: tests look for injected lines.
            if (colon < 0) headers[line.ToLowerInvariant()] = "";
            else headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        if (headers.TryGetValue("content-length", out var length) && long.TryParse(length, out var left))
        {
            var sink = new byte[8192];
            while (left > 0)
            {
                var n = await stream.ReadAsync(sink.AsMemory(0, (int)Math.Min(sink.Length, left)));
                if (n == 0) break;
                left -= n;
            }
        }
        return new HostileRequest(start[0], start.Length > 1 ? start[1] : "/", headers);
    }

    private static async Task WriteAnswerAsync(Stream stream, HostileAnswer answer)
    {
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {answer.Status} {(answer.Status == 200 ? "OK" : "Answer")}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {answer.ContentType}\r\n")
            .Append("Connection: close\r\n")
            .Append(answer.Length is { } n ? $"Content-Length: {n}\r\n" : "Transfer-Encoding: chunked\r\n")
            .Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        if (answer.Length is not null)
        {
            await answer.Write(stream);
        }
        else
        {
            await using var chunked = new ChunkedStream(stream);
            await answer.Write(chunked);
        }
        await stream.FlushAsync();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    /// <summary>Writes each write as one HTTP chunk; disposing writes the last chunk.</summary>
    private sealed class ChunkedStream(Stream inner) : Stream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0) return;
            await inner.WriteAsync(Encoding.ASCII.GetBytes(buffer.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken);
            await inner.WriteAsync(buffer, cancellationToken);
            await inner.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
        }

        public override async ValueTask DisposeAsync() => await inner.WriteAsync("0\r\n\r\n"u8.ToArray());

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

/// <summary>One request as the fake handler saw it.</summary>
public sealed record SeenRequest(HttpMethod Method, Uri Uri, Dictionary<string, string> Headers, string Body)
{
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : "";

    /// <summary>Query parameters, decoded.</summary>
    public Dictionary<string, string> Query => Uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2))
        .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""));
}

/// <summary>An HttpMessageHandler that answers from a script and records every request.</summary>
public sealed class FakeHandler : HttpMessageHandler
{
    private readonly Func<SeenRequest, int, CancellationToken, Task<HttpResponseMessage>> _answer;
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public FakeHandler(Func<SeenRequest, int, CancellationToken, Task<HttpResponseMessage>> answer) => _answer = answer;

    public FakeHandler(Func<SeenRequest, int, HttpResponseMessage> answer) : this((r, n, _) => Task.FromResult(answer(r, n))) { }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var seen = new SeenRequest(request.Method, request.RequestUri!, headers, body);
        Requests.Enqueue(seen);
        return await _answer(seen, Requests.Count, cancellationToken);
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, params (string, string)[] headers)
    {
        var r = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (k, v) in headers) r.Headers.TryAddWithoutValidation(k, v);
        return r;
    }

    public static HttpResponseMessage Error(HttpStatusCode status, string code, string requestId = "REQ-ERR", params (string, string)[] headers) =>
        Json(status, $$"""{"RequestId":"{{requestId}}","HostId":"vpc.cn-hangzhou.aliyuncs.com","Code":"{{code}}","Message":"{{code}} happened","Recommend":"https://api.aliyun.com/troubleshoot?q={{code}}"}""", headers);

    public static HttpResponseMessage Ok(string json = """{"RequestId":"REQ-OK"}""") => Json(HttpStatusCode.OK, json);
}

/// <summary>A log that keeps every line as text, and fails the test at once if a line carries a known secret.</summary>
public sealed class RecordingLog : ILog
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public bool IsEnabled(LogLevel level) => true;

    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields)
    {
        var line = message + " " + string.Join(" ", fields.Select(f => $"{f.Key}={f.Value}"));
        Lines.Enqueue(line);
        SecretWitness.Check("log line", line);
    }
}

/// <summary>Only GetUtcNow is faked; timers (Task.Delay) stay real so retry tests still measure real waits.</summary>
public sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

/// <summary>
/// Every secret value the tests hand to the product, and a watch over every exception thrown in the test process:
/// any log line or exception message carrying one of them is recorded as a leak (<see cref="Leaks"/>).
/// </summary>
public static class SecretWitness
{
    private static readonly ConcurrentDictionary<string, byte> Secrets = new();
    public static ConcurrentQueue<string> Leaks { get; } = new();
    public static int TextsSeen;

    [ModuleInitializer]
    internal static void Watch()
    {
        AppDomain.CurrentDomain.FirstChanceException += (_, e) => Check("exception " + e.Exception.GetType().Name, e.Exception.Message);
    }

    /// <summary>Registers a secret value (AccessKey secret, STS token, OIDC token) and returns it.</summary>
    public static string Secret(string value)
    {
        Secrets[value] = 0;
        return value;
    }

    public static void Check(string what, string? text)
    {
        if (text is null) return;
        Interlocked.Increment(ref TextsSeen);
        foreach (var secret in Secrets.Keys)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                Leaks.Enqueue($"{what} contains a secret: {text.Replace(secret, "<SECRET>")}");
                if (what.StartsWith("log", StringComparison.Ordinal)) Assert.Fail($"{what} leaks a secret");
            }
        }
    }
}

/// <summary>Test credentials and a client wired to a fake handler.</summary>
public static class TestCloud
{
    public static readonly string Secret = SecretWitness.Secret("test-secret-6b1d0f5e9a");
    public static readonly string StsToken = SecretWitness.Secret("CAIS-sts-token-+/=~*-91c2");
    public static readonly CloudCredential StaticCredential = new("LTAItestid", Secret, null, null, "test");
    public static readonly CloudCredential StsCredential = new("STS.testid", Secret, StsToken, DateTimeOffset.UtcNow.AddHours(1), "test");

    public static readonly RetrySettings FastRetry = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(2),
        BackoffBase = TimeSpan.FromMilliseconds(10),
        BackoffMax = TimeSpan.FromMilliseconds(80),
    };

    public static OpenApiClient Client(FakeHandler handler, CloudCredential? credential = null, RetrySettings? retry = null,
        ICloudCallGate? gate = null, ILog? log = null, ICredentialSource? credentials = null) =>
        new(new HttpClient(handler), credentials ?? new StaticCredentialSource(credential ?? StaticCredential), gate ?? UnlimitedCloudCallGate.Instance,
            retry ?? FastRetry, log ?? new RecordingLog(), TimeProvider.System);

    public static CloudEndpoints Endpoints(string region = "cn-hangzhou") =>
        new(new CloudOptions { RegionId = region, StateDir = "/nonexistent", VpcEndpoint = new Uri("https://vpc.example.test"), EcsEndpoint = new Uri("https://ecs.example.test") },
            new ThrowingMetadata());

    /// <summary>Metadata that must not be touched.</summary>
    public sealed class ThrowingMetadata : IInstanceMetadata
    {
        public Task<string> GetAsync(string path, CancellationToken cancellationToken) => throw new InvalidOperationException("metadata used: " + path);
        public Task<string> GetRegionIdAsync(CancellationToken cancellationToken) => GetAsync("region-id", cancellationToken);
        public Task<string> GetInstanceIdAsync(CancellationToken cancellationToken) => GetAsync("instance-id", cancellationToken);
        public Task<string> GetVpcIdAsync(CancellationToken cancellationToken) => GetAsync("vpc-id", cancellationToken);
        public Task<IReadOnlyList<string>> GetMacsAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("metadata used");
        public Task<MetadataEni> GetEniAsync(string mac, CancellationToken cancellationToken) => throw new InvalidOperationException("metadata used");
    }
}

/// <summary>
/// A body of any size made on the fly (prefix, a unit repeated, suffix) that counts what the client read: a 200 MB
/// answer costs the test nothing. <paramref name="announce"/> sends its length as Content-Length; otherwise none.
/// </summary>
public sealed class SyntheticContent : HttpContent
{
    private readonly byte[] _prefix, _unit, _suffix;
    private readonly long _count;
    private readonly bool _announce;
    private long _read;

    public SyntheticContent(string prefix, string unit, long count, string suffix, bool announce)
    {
        (_prefix, _unit, _suffix, _count, _announce) = (Encoding.UTF8.GetBytes(prefix), Encoding.UTF8.GetBytes(unit), Encoding.UTF8.GetBytes(suffix), count, announce);
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (announce) Headers.ContentLength = Length;
    }

    public long Length => _prefix.Length + _unit.LongLength * _count + _suffix.Length;

    /// <summary>Bytes the client has read so far.</summary>
    public long Read => Interlocked.Read(ref _read);

    public static HttpResponseMessage Answer(HttpStatusCode status, SyntheticContent content) => new(status) { Content = content };

    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new Generator(this));

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => new Generator(this).CopyToAsync(stream);

    protected override bool TryComputeLength(out long length)
    {
        length = Length;
        return _announce;
    }

    private byte At(long position) =>
        position < _prefix.Length ? _prefix[position]
        : position - _prefix.Length < _unit.LongLength * _count ? _unit[(position - _prefix.Length) % _unit.Length]
        : _suffix[position - _prefix.Length - _unit.LongLength * _count];

    private sealed class Generator(SyntheticContent content) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, content.Length - _position);
            for (var i = 0; i < n; i++) buffer[offset + i] = content.At(_position + i);
            _position += n;
            Interlocked.Add(ref content._read, n);
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

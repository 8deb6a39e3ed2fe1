using System.Net;
using System.Net.Sockets;
using System.Text;
using EipCni.Node;

namespace EipCni.Tests.Node;

/// <summary>/metrics and /healthz over a real socket, as Prometheus and the kubelet's probe ask.</summary>
public sealed class MetricsServerTests : IAsyncLifetime
{
    private readonly NodeMetrics _metrics = new();
    private string? _unhealthy;
    private MetricsServer? _server;

    public Task InitializeAsync()
    {
        _server = new MetricsServer(MetricsServer.ParseAddress("127.0.0.1:0"), _metrics.Registry, () => _unhealthy, NullLog.Instance);
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    private async Task<(int Status, Dictionary<string, string> Headers, string Body)> SendAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_server!.Address);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = text[..split].Split("\r\n");
        var headers = head.Skip(1).Select(h => h.Split(": ", 2)).ToDictionary(h => h[0], h => h[1], StringComparer.OrdinalIgnoreCase);
        var body = text[(split + 4)..];
        // HEAD tells the length GET would send, and sends nothing.
        if (!request.StartsWith("HEAD", StringComparison.Ordinal))
            Assert.Equal(Encoding.UTF8.GetByteCount(body), int.Parse(headers["Content-Length"], System.Globalization.CultureInfo.InvariantCulture));
        return (int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, body);
    }

    [Fact]
    public async Task Metrics_are_served_in_the_text_format()
    {
        _metrics.CniCalls.Inc("ADD", "0");

        var (status, headers, body) = await SendAsync("GET /metrics HTTP/1.1\r\nHost: node\r\nAccept: */*\r\n\r\n");

        Assert.Equal(200, status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", headers["Content-Type"]);
        Assert.Equal("close", headers["Connection"]);
        Assert.Contains("# TYPE eipcni_cni_calls_total counter\neipcni_cni_calls_total{command=\"ADD\",code=\"0\"} 1\n", body);
    }

    [Fact]
    public async Task An_http_client_reads_them_too()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync($"http://{_server!.Address}/metrics?name[]=x");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("eipcni_sweep_kept_total 0", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_says_ok_or_why_not()
    {
        Assert.Equal((200, "ok\n"), await StatusAndBody("GET /healthz HTTP/1.1\r\n\r\n"));
        _unhealthy = "node gc: no pass for 16 minutes";
        Assert.Equal((503, "node gc: no pass for 16 minutes\n"), await StatusAndBody("GET /healthz HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Head_has_no_body_and_other_methods_and_paths_are_refused()
    {
        var head = await SendAsync("HEAD /metrics HTTP/1.1\r\n\r\n");
        Assert.Equal(200, head.Status);
        Assert.Equal("", head.Body);
        var post = await SendAsync("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal((405, "GET, HEAD"), (post.Status, post.Headers["Allow"]));
        Assert.Equal(404, (await SendAsync("GET /debug/pprof HTTP/1.1\r\n\r\n")).Status);
        Assert.Equal(400, (await SendAsync("garbage\r\n\r\n")).Status);
    }

    [Fact]
    public async Task A_client_that_sends_nothing_is_let_go_and_others_are_served_meanwhile()
    {
        using var idle = new TcpClient();
        await idle.ConnectAsync(_server!.Address);
        Assert.Equal(200, (await SendAsync("GET /healthz HTTP/1.1\r\n\r\n")).Status);
    }

    [Theory]
    [InlineData("0.0.0.0:9811", "0.0.0.0", 9811)]
    [InlineData("[::1]:9811", "::1", 9811)]
    [InlineData(":9767", "0.0.0.0", 9767)] // Go's form, as conf/daemonset.yaml writes it
    public void Addresses_parse(string text, string ip, int port) =>
        Assert.Equal(new IPEndPoint(IPAddress.Parse(ip), port), MetricsServer.ParseAddress(text));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost:9811")]
    [InlineData("[::1]")]
    public void An_address_without_a_port_or_with_a_name_is_refused(string text) =>
        Assert.Throws<FormatException>(() => MetricsServer.ParseAddress(text));

    private async Task<(int, string)> StatusAndBody(string request)
    {
        var (status, _, body) = await SendAsync(request);
        return (status, body);
    }
}

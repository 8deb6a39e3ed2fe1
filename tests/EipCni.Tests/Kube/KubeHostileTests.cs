using System.Diagnostics;
using System.Net.Http.Headers;
using EipCni.Kube;
using EipCni.Tests.Support;

namespace EipCni.Tests.Kube;

/// <summary>
/// The Kubernetes client against an API server that answers too much or cannot be trusted, and bearer tokens that
/// cannot be header values: every failure is final and clear, and nothing unbounded is read.
/// </summary>
public sealed class KubeHostileTests : IDisposable
{
    private const string PodPath = "/api/v1/namespaces/default/pods/web-0";
    private readonly TempDir _dir = new("eipcni-kube-hostile");
    private readonly (System.Security.Cryptography.X509Certificates.X509Certificate2 Cert, System.Security.Cryptography.ECDsa Key) _ca =
        TestPki.CreateCa("hostile-ca");

    public void Dispose()
    {
        _ca.Cert.Dispose();
        _ca.Key.Dispose();
        _dir.Dispose();
    }

    private HostileServer Server(Func<HostileRequest, HostileAnswer> answer) => new(answer, TestPki.IssueServer(_ca.Cert, _ca.Key));

    private KubeClient Client(HostileServer server, string userFields = "token: good-token", bool withCa = true)
    {
        var path = _dir.File("kubeconfig-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(path, TestPki.Kubeconfig(server.Url, withCa ? $"certificate-authority-data: {TestPki.Base64(_ca.Cert.ExportCertificatePem())}" : "", userFields));
        return new KubeClient(Kubeconfig.Load(path), new Cloud.RecordingLog(), new KubeClientOptions { MaxAttempts = 4, InitialBackoff = TimeSpan.FromMilliseconds(10) });
    }

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static string Pod(string annotations) =>
        $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"default","uid":"u1","annotations":{{{annotations}}}}}""";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_200_MB_pod_is_refused_without_reading_it(bool announce)
    {
        var halves = Pod("{\"filler\":\"@\"}").Split('@');
        using var server = Server(_ => HostileAnswer.Repeated(halves[0], "y", 200L * 1024 * 1024, halves[1], announce));
        using var client = Client(server);
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<KubeException>(() => client.GetPodAsync("default", "web-0", Budget()));

        Assert.Equal((200, "BadAnswer", 1), (e.StatusCode, e.Reason, e.Attempts));
        Assert.Contains("4 MiB allowed", e.Message);
        Assert.False(e.IsTransient);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_pod_with_more_annotations_than_any_real_one_is_refused()
    {
        var annotations = "{" + string.Join(",", Enumerable.Range(0, 20_000).Select(i => $"\"a{i}\":\"\"")) + "}";
        using var server = Server(_ => HostileAnswer.Json(Pod(annotations)));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<KubeException>(() => client.GetPodAsync("default", "web-0", Budget()));

        Assert.Equal("BadAnswer", e.Reason);
        Assert.Contains("more than 10000 entries", e.Message);
    }

    [Fact]
    public async Task A_big_but_real_pod_is_read()
    {
        // A kubectl last-applied-configuration of 1 MiB: one long value, well inside the caps.
        var annotations = $$"""{"kubectl.kubernetes.io/last-applied-configuration":"{{new string('c', 1024 * 1024)}}","network.alibabacloud.com/pod-with-eip":"true"}""";
        using var server = Server(_ => HostileAnswer.Json(Pod(annotations)));
        using var client = Client(server);

        var pod = await client.GetPodAsync("default", "web-0", Budget());

        Assert.Equal("true", pod.Annotations["network.alibabacloud.com/pod-with-eip"]);
    }

    [Fact]
    public async Task A_self_signed_API_server_is_refused_at_once_without_a_CA_in_the_kubeconfig()
    {
        using var server = new HostileServer(_ => HostileAnswer.Json(Pod("{}")), TestPki.SelfSignedServer());
        using var client = Client(server, withCa: false);
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<KubeException>(() => client.GetPodAsync("default", "web-0", Budget()));

        Assert.Equal((0, "TlsRejected", 1), (e.StatusCode, e.Reason, e.Attempts));
        Assert.Contains($"TLS handshake with 127.0.0.1:{server.Port} failed", e.Message);
        Assert.Contains("UntrustedRoot", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("tok\r\nX-Injected: yes", "contains a line break")]
    [InlineData("tok en", "contains a space")]
    [InlineData("tök", "contains a character that is not ASCII")]
    public void A_kubeconfig_token_that_cannot_be_a_header_value_is_refused_naming_the_field(string token, string says)
    {
        var path = _dir.File("kubeconfig-bad-token");
        File.WriteAllText(path, $$$"""
            {"apiVersion":"v1","kind":"Config","current-context":"c",
             "clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:6443"}}],
             "contexts":[{"name":"c","context":{"cluster":"c","user":"u"}}],
             "users":[{"name":"u","user":{"token":{{{System.Text.Json.JsonSerializer.Serialize(token)}}}}}]}
            """);

        var e = Assert.Throws<KubeconfigException>(() => Kubeconfig.Load(path));

        Assert.Equal("users[name=u].user.token", e.Field);
        Assert.Contains(says, e.Message);
        Assert.DoesNotContain("X-Injected", e.Message);
    }

    /// <summary>A client whose kubeconfig names a token file holding <paramref name="content"/>.</summary>
    private KubeClient ClientWithTokenFile(HostileServer server, string content, out string tokenFile)
    {
        tokenFile = _dir.File("token-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(tokenFile, content);
        return Client(server, $"tokenFile: {tokenFile}");
    }

    [Fact]
    public async Task A_token_file_with_a_line_break_inside_is_refused_and_nothing_is_sent()
    {
        using var server = Server(_ => HostileAnswer.Json(Pod("{}")));
        using var client = ClientWithTokenFile(server, "tok\r\nX-Injected: yes\n", out var tokenFile);

        var e = await Assert.ThrowsAsync<KubeconfigException>(() => client.GetPodAsync("default", "web-0", Budget()));

        Assert.Equal("tokenFile", e.Field);
        Assert.Contains($"the token in {tokenFile} contains a line break", e.Message);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_trailing_newline_of_a_token_file_is_not_part_of_the_token()
    {
        using var server = Server(_ => HostileAnswer.Json(Pod("{}")));
        using var client = ClientWithTokenFile(server, "good-token\n", out _);

        await client.GetPodAsync("default", "web-0", Budget());

        Assert.Equal("Bearer good-token", Assert.Single(server.Requests).Header("authorization"));
    }

    [Fact]
    public void The_header_types_used_for_tokens_refuse_line_breaks()
    {
        // The last guard behind our own checks: these setters validate, unlike TryAddWithoutValidation.
        Assert.Throws<FormatException>(() => new AuthenticationHeaderValue("Bearer", "tok\r\nX-Injected: yes"));
        using var request = new HttpRequestMessage();
        Assert.Throws<FormatException>(() => request.Headers.Add("x-acs-security-token", "tok\r\nX-Injected: yes"));
    }
}

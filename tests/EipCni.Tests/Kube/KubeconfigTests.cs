using EipCni.Kube;

namespace EipCni.Tests.Kube;

public sealed class KubeconfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubeconfig-test-").FullName;
    private static readonly (System.Security.Cryptography.X509Certificates.X509Certificate2 Cert, System.Security.Cryptography.ECDsa Key) Ca =
        TestPki.CreateCa("test-ca");
    private static readonly string CaData = TestPki.Base64(Ca.Cert.ExportCertificatePem());

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private Kubeconfig Load(string clusterFields, string userFields, string server = "https://10.96.0.1:443") =>
        Kubeconfig.Load(Write("kubeconfig", TestPki.Kubeconfig(server, clusterFields, userFields)));

    [Fact]
    public void Token_kubeconfig_as_kubectl_writes_it()
    {
        var config = Load($"certificate-authority-data: {CaData}", "token: abc.def");

        Assert.Equal(new Uri("https://10.96.0.1:443"), config.Server);
        Assert.Equal("ctx", config.ContextName);
        Assert.Equal(Ca.Cert.Thumbprint, Assert.Single(config.CertificateAuthorities!).Thumbprint);
        Assert.Equal("abc.def", config.ReadToken());
        Assert.Null(config.ClientCertificate);
    }

    [Fact]
    public void JSON_kubeconfig_with_a_CA_file_and_namespace()
    {
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), Ca.Cert.ExportCertificatePem());
        var path = Write("kubeconfig.json", """
            {
              "apiVersion": "v1", "kind": "Config",
              "clusters": [{"name": "c", "cluster": {"server": "https://api.example:6443", "certificate-authority": "ca.pem"}}],
              "users": [{"name": "u", "user": {"token": "t0k"}}],
              "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "kube-system"}}],
              "current-context": "x"
            }
            """);

        var config = Kubeconfig.Load(path);

        Assert.Equal("api.example", config.Server.Host);
        Assert.Single(config.CertificateAuthorities!);
        Assert.Equal("t0k", config.ReadToken());
        Assert.Equal("kube-system", config.Namespace);
    }

    [Fact]
    public void TokenFile_is_relative_to_the_kubeconfig_and_reread_on_use()
    {
        File.WriteAllText(Path.Combine(_dir, "token"), "first\n");
        var config = Load($"certificate-authority-data: {CaData}", "tokenFile: token");

        var first = config.ReadToken();
        File.WriteAllText(Path.Combine(_dir, "token"), "second");

        Assert.Equal(Path.Combine(_dir, "token"), config.TokenFile);
        Assert.Equal("first", first);
        Assert.Equal("second", config.ReadToken());
    }

    [Fact]
    public void An_inline_token_wins_over_tokenFile()
    {
        var config = Load($"certificate-authority-data: {CaData}", "token: inline\ntokenFile: /does/not/exist");
        Assert.Equal("inline", config.ReadToken());
    }

    [Theory]
    [InlineData("rsa", true)]
    [InlineData("ec", true)]
    [InlineData("pkcs8", true)]
    [InlineData("rsa", false)]
    [InlineData("ec", false)]
    public void Client_certificate_with_RSA_and_EC_keys_from_data_or_files(string keyType, bool inline)
    {
        var pem = TestPki.IssueClient(Ca.Cert, Ca.Key, "node-a", keyType);
        string user;
        if (inline)
        {
            user = $"client-certificate-data: {TestPki.Base64(pem.Certificate)}\nclient-key-data: {TestPki.Base64(pem.Key)}";
        }
        else
        {
            File.WriteAllText(Path.Combine(_dir, "client.crt"), pem.Certificate);
            File.WriteAllText(Path.Combine(_dir, "client.key"), pem.Key);
            user = "client-certificate: client.crt\nclient-key: " + Path.Combine(_dir, "client.key");
        }

        var config = Load($"certificate-authority-data: {CaData}", user);

        Assert.NotNull(config.ClientCertificate);
        Assert.True(config.ClientCertificate!.HasPrivateKey);
        Assert.Contains("CN=node-a", config.ClientCertificate.Subject);
        Assert.False(config.HasToken);
    }

    [Fact]
    public void An_explicit_context_overrides_current_context()
    {
        var text = TestPki.Kubeconfig("https://10.0.0.1", $"certificate-authority-data: {CaData}", "token: a")
            .Replace("current-context: ctx", "current-context: nowhere");
        var config = Kubeconfig.Parse(text, "inline", _dir, context: "ctx");
        Assert.Equal("ctx", config.ContextName);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://[::1]:8080")]
    [InlineData("http://localhost:8080")]
    public void Plain_http_is_accepted_for_loopback_only(string server) =>
        Assert.Equal(server.TrimEnd('/'), Load("", "token: a", server).Server.ToString().TrimEnd('/'));

    [Fact]
    public void A_key_that_does_not_match_the_certificate_names_the_key_field_and_never_prints_it()
    {
        var one = TestPki.IssueClient(Ca.Cert, Ca.Key, "a", "ec");
        var two = TestPki.IssueClient(Ca.Cert, Ca.Key, "b", "ec");

        var e = Assert.Throws<KubeconfigException>(() => Load($"certificate-authority-data: {CaData}",
            $"client-certificate-data: {TestPki.Base64(one.Certificate)}\nclient-key-data: {TestPki.Base64(two.Key)}"));

        Assert.Equal("users[name=u1].user.client-key-data", e.Field);
        Assert.Contains("EC private key", e.Message);
        Assert.DoesNotContain(TestPki.Base64(two.Key)[..40], e.ToString());
        Assert.DoesNotContain("PRIVATE KEY-----", e.Message);
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        // text transformation of a good kubeconfig, expected field, words of the problem
        { "current-context: ctx=>current-context: \"\"", "current-context", "not set" },
        { "current-context: ctx=>current-context: other", "contexts", "no entry named \"other\"" },
        { "cluster: c1=>cluster: c2", "clusters", "no entry named \"c2\"" },
        { "    server: https://10.96.0.1:443=>    server: ftp://x", "clusters[name=c1].cluster.server", "not an https:// URL" },
        { "    server: https://10.96.0.1:443=>    server: http://10.96.0.1", "clusters[name=c1].cluster.server", "plain http is refused" },
        { "    server: https://10.96.0.1:443=>    server: {a: b}", "clusters[name=c1].cluster.server", "expected a string" },
        { "    server: https://10.96.0.1:443=>    insecure-skip-tls-verify: true\n    server: https://10.96.0.1:443",
            "clusters[name=c1].cluster.insecure-skip-tls-verify", "refused" },
        { "    certificate-authority-data: CA=>    certificate-authority-data: '***'", "clusters[name=c1].cluster.certificate-authority-data", "not valid base64" },
        { "    certificate-authority-data: CA=>    certificate-authority-data: aGVsbG8=", "clusters[name=c1].cluster.certificate-authority-data", "no PEM certificate" },
        { "    certificate-authority-data: CA=>    certificate-authority: missing.crt", "clusters[name=c1].cluster.certificate-authority", "cannot read" },
        { "    token: s3cret=>    exec:\n      command: aws", "users[name=u1].user.exec", "not supported" },
        { "    token: s3cret=>    username: admin\n    password: s3cret", "users[name=u1].user.username", "not supported" },
        { "    token: s3cret=>    tokenFile: /nonexistent/token", "users[name=u1].user.tokenFile", "does not exist" },
        { "    token: s3cret=>    client-certificate-data: Zm9v", "users[name=u1].user.client-key", "needs both" },
        { "    token: s3cret=>    client-certificate-data: Zm9v\n    client-key-data: Zm9v", "users[name=u1].user.client-certificate-data", "not a PEM certificate" },
        { "users:=>users: x\nunused:", "users", "expected a list" },
        { "- name: u1=>- nom: u1", "users", "no entry named \"u1\"" },
        { "- name: u1\n  user:=>- name: u1\n  user: text\n  other:", "users[name=u1].user", "expected a mapping" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_kubeconfigs_name_the_field(string edit, string field, string problem)
    {
        var good = TestPki.Kubeconfig("https://10.96.0.1:443", "certificate-authority-data: CA", "token: s3cret").Replace("data: CA", "data: " + CaData);
        var parts = edit.Split("=>");
        var from = parts[0].Replace("data: CA", "data: " + CaData);
        Assert.Contains(from, good);
        var path = Write("bad", good.Replace(from, parts[1]));

        var e = Assert.Throws<KubeconfigException>(() => Kubeconfig.Load(path));

        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"kubeconfig {path}: {field}: ", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        var e = Assert.Throws<KubeconfigException>(() => Kubeconfig.Load(Path.Combine(_dir, "absent")));
        Assert.Contains("cannot read", e.Message);
    }

    private string Fifo(string name)
    {
        var path = Path.Combine(_dir, name);
        Assert.Equal(0, EipCni.Tests.Support.ProcessRunner.Run("mkfifo", [path]).ExitCode);
        return path;
    }

    /// <summary>Runs <paramref name="read"/> off the test thread: before the fix a FIFO blocked it for good.</summary>
    private static KubeconfigException ThrowsWithin(Func<object?> read)
    {
        var task = Task.Run(read);
        Assert.True(((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(10)), "the read still blocks after 10 s");
        return Assert.IsType<KubeconfigException>(task.Exception?.InnerException);
    }

    [Fact]
    public void A_kubeconfig_that_is_a_fifo_fails_at_once()
    {
        var path = Fifo("kubeconfig");
        var e = ThrowsWithin(() => Kubeconfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("a FIFO; eip-cni reads only regular files", e.Message);
    }

    [Fact]
    public void A_token_file_that_is_a_fifo_fails_at_once()
    {
        var fifo = Fifo("token");
        var config = Load($"certificate-authority-data: {CaData}", $"tokenFile: {fifo}");
        var e = ThrowsWithin(() => config.ReadToken());
        Assert.Equal("tokenFile", e.Field);
        Assert.Contains("a FIFO", e.Message);
    }

    [Fact]
    public void Files_over_their_limits_and_devices_are_refused_naming_the_limit()
    {
        var big = Write("kubeconfig", TestPki.Kubeconfig("https://10.96.0.1:443", $"certificate-authority-data: {CaData}", "token: abc") + "#" + new string('x', 300 * 1024));
        Assert.Contains("larger than the limit of 262144 bytes (256 KiB)", ThrowsWithin(() => Kubeconfig.Load(big)).Message);

        var token = Write("token", new string('t', 65 * 1024));
        var config = Load($"certificate-authority-data: {CaData}", $"tokenFile: {token}");
        Assert.Contains("larger than the limit of 65536 bytes (64 KiB)", ThrowsWithin(() => config.ReadToken()).Message);

        var e = ThrowsWithin(() => Load("certificate-authority: /dev/zero", "token: abc"));
        Assert.Equal("clusters[name=c1].cluster.certificate-authority", e.Field);
        Assert.Contains("/dev/zero is a character device", e.Message);
    }

    [Fact]
    public void A_symlinked_kubeconfig_is_followed_as_configmap_volumes_publish_files()
    {
        var data = Path.Combine(_dir, "..data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "kubeconfig"), TestPki.Kubeconfig("https://10.96.0.1:443", $"certificate-authority-data: {CaData}", "token: abc.def"));
        var link = Path.Combine(_dir, "kubeconfig");
        File.CreateSymbolicLink(link, Path.Combine("..data", "kubeconfig"));
        Assert.Equal("abc.def", Kubeconfig.Load(link).ReadToken());
    }
}

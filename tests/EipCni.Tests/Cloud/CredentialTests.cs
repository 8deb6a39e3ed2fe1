using System.Globalization;
using System.Net;
using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CredentialTests : IDisposable
{
    private static readonly string OidcToken = SecretWitness.Secret("eyJhbGciOiJSUzI1NiJ9.oidc-token-one");
    private static readonly string OidcToken2 = SecretWitness.Secret("eyJhbGciOiJSUzI1NiJ9.oidc-token-two");
    private static readonly string StsSecret = SecretWitness.Secret("sts-secret-4c2f8e");
    private static readonly string RoleSecret = SecretWitness.Secret("role-secret-a91d3b");
    private static readonly string EnvSecret = SecretWitness.Secret("env-secret-77e0aa");
    private static readonly string ConfSecret = SecretWitness.Secret("conf-secret-1b2c3d");

    private const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eipcni-cred-" + Guid.NewGuid().ToString("N"));
    private readonly string _tokenFile;
    private readonly ShiftedTime _time = new();
    private readonly RecordingLog _log = new();
    private readonly List<string> _envReads = [];
    private readonly Dictionary<string, string> _env = [];
    private TimeSpan _stsLifetime = TimeSpan.FromHours(1);
    private int _stsCalls, _roleCalls;
    private string _roleCode = "Success";
    private string _roleName = "NodeRole";
    private string _roleToken = "role-token";
    private string _stsToken = TestCloud.StsToken;

    public CredentialTests()
    {
        Directory.CreateDirectory(_dir, PrivateDir); // the state dir: eip-cni refuses one that others may open
        _tokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(_tokenFile, OidcToken + "\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>STS, metadata and VPC on one fake: VPC answers OK and echoes nothing.</summary>
    private HttpResponseMessage Answer(SeenRequest r, int n)
    {
        var path = r.Uri.AbsolutePath;
        if (path == "/latest/api/token") return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("mdtoken") };
        if (path == "/latest/meta-data/ram/security-credentials/") return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(_roleName) };
        if (path == "/latest/meta-data/ram/security-credentials/NodeRole")
        {
            _roleCalls++;
            var exp = (_time.GetUtcNow() + TimeSpan.FromHours(6)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""{"AccessKeyId":"STS.role{{_roleCalls}}","AccessKeySecret":"{{RoleSecret}}","SecurityToken":{{System.Text.Json.JsonSerializer.Serialize(_roleToken)}},"Expiration":"{{exp}}","LastUpdated":"x","Code":"{{_roleCode}}"}"""),
            };
        }
        if (r.Uri.Host.StartsWith("sts", StringComparison.Ordinal))
        {
            _stsCalls++;
            var exp = (_time.GetUtcNow() + _stsLifetime).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            return FakeHandler.Ok($$$"""{"RequestId":"S{{{_stsCalls}}}","Credentials":{"AccessKeyId":"STS.rrsa{{{_stsCalls}}}","AccessKeySecret":"{{{StsSecret}}}","SecurityToken":{{{System.Text.Json.JsonSerializer.Serialize(_stsToken)}}},"Expiration":"{{{exp}}}"}}""");
        }
        return FakeHandler.Ok("""{"RequestId":"V1"}""");
    }

    private (CloudClients Clients, FakeHandler Handler) Make(string? accessKeyId = null, string? accessKeySecret = null)
    {
        var handler = new FakeHandler(Answer);
        var options = new CloudOptions
        {
            RegionId = "cn-hangzhou",
            StateDir = _dir,
            AccessKeyId = accessKeyId,
            AccessKeySecret = accessKeySecret,
            MetadataEndpoint = new Uri("http://127.0.0.1:1"),
        };
        string? Env(string name)
        {
            _envReads.Add(name);
            return _env.GetValueOrDefault(name);
        }
        return (CloudClients.Create(options, _log, Env, _time, TestCloud.FastRetry, handler: handler), handler);
    }

    private void SetRrsa()
    {
        _env["ALIBABA_CLOUD_ROLE_ARN"] = "acs:ram::1234567890:role/eip-cni";
        _env["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] = "acs:ram::1234567890:oidc-provider/ack-rrsa-c1";
        _env["ALIBABA_CLOUD_OIDC_TOKEN_FILE"] = _tokenFile;
        _env["ALIBABA_CLOUD_ROLE_SESSION_NAME"] = "eip-cni-test";
    }

    private static async Task<SeenRequest> ReleaseAndGetCall(CloudClients clients, FakeHandler handler)
    {
        await clients.Eip.ReleaseEipAddressAsync("eip-1", default);
        return handler.Requests.Last(r => r.Uri.Host.StartsWith("vpc", StringComparison.Ordinal));
    }

    [Fact]
    public void NothingIsReadBeforeTheFirstCloudCall()
    {
        SetRrsa();
        var (clients, handler) = Make();
        Assert.Empty(_envReads);
        Assert.Empty(handler.Requests);
        Assert.False(clients.Credentials.IsResolved);
        Assert.False(Directory.Exists(Path.Combine(_dir, "credentials")));
    }

    [Fact]
    public async Task EniConfKeyWinsOverEverything()
    {
        _env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAIenv";
        _env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = EnvSecret;
        SetRrsa();
        var (clients, handler) = Make("LTAIconf", ConfSecret);
        var call = await ReleaseAndGetCall(clients, handler);
        Assert.StartsWith("ACS3-HMAC-SHA256 Credential=LTAIconf,", call.Header("authorization"));
        Assert.Equal(0, _stsCalls + _roleCalls);
    }

    [Fact]
    public async Task EnvironmentWinsOverRrsaAndPassesItsToken()
    {
        _env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAIenv";
        _env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = EnvSecret;
        _env["ALIBABA_CLOUD_SECURITY_TOKEN"] = TestCloud.StsToken;
        SetRrsa();
        var (clients, handler) = Make();
        var call = await ReleaseAndGetCall(clients, handler);
        Assert.StartsWith("ACS3-HMAC-SHA256 Credential=LTAIenv,", call.Header("authorization"));
        Assert.Equal(TestCloud.StsToken, call.Header("x-acs-security-token"));
        Assert.Equal(0, _stsCalls + _roleCalls);
    }

    [Fact]
    public async Task RrsaWinsOverTheNodeRole()
    {
        SetRrsa();
        var (clients, handler) = Make();
        var call = await ReleaseAndGetCall(clients, handler);
        Assert.StartsWith("ACS3-HMAC-SHA256 Credential=STS.rrsa1,", call.Header("authorization"));
        Assert.Equal(TestCloud.StsToken, call.Header("x-acs-security-token"));
        var sts = Assert.Single(handler.Requests, r => r.Uri.Host.StartsWith("sts", StringComparison.Ordinal));
        Assert.Equal("sts-vpc.cn-hangzhou.aliyuncs.com", sts.Uri.Host);
        Assert.Equal("", sts.Header("authorization"));
        Assert.Contains("OIDCToken=" + Uri.EscapeDataString(OidcToken), sts.Body);
        Assert.Contains("RoleArn=acs%3Aram%3A%3A1234567890%3Arole%2Feip-cni", sts.Body);
        Assert.Contains("RoleSessionName=eip-cni-test", sts.Body);
        Assert.Equal(0, _roleCalls);
    }

    [Fact]
    public async Task NodeRoleIsTheLastResort()
    {
        var (clients, handler) = Make();
        var call = await ReleaseAndGetCall(clients, handler);
        Assert.StartsWith("ACS3-HMAC-SHA256 Credential=STS.role1,", call.Header("authorization"));
        Assert.Equal("role-token", call.Header("x-acs-security-token"));
        Assert.All(handler.Requests.Where(r => r.Uri.AbsolutePath.StartsWith("/latest/meta-data", StringComparison.Ordinal)),
            r => Assert.Equal("mdtoken", r.Header("X-aliyun-ecs-metadata-token")));
    }

    [Fact]
    public async Task NodeRoleAnswerMustSaySuccess()
    {
        _roleCode = "Failed";
        var (clients, _) = Make();
        var e = await Assert.ThrowsAsync<CloudException>(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));
        Assert.Equal("RamRoleCredentialNotReady", e.Code);
        Assert.DoesNotContain(RoleSecret, e.Message);
    }

    [Fact]
    public async Task TemporaryCredentialIsCachedPrivatelyAndSharedWithTheNextProcess()
    {
        SetRrsa();
        var (first, h1) = Make();
        await ReleaseAndGetCall(first, h1);
        var cache = Path.Combine(_dir, "credentials", "cache.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(cache)!));

        // A new process (new clients) with the same state dir signs with the cached credential and asks STS nothing.
        var (second, h2) = Make();
        var call = await ReleaseAndGetCall(second, h2);
        Assert.StartsWith("ACS3-HMAC-SHA256 Credential=STS.rrsa1,", call.Header("authorization"));
        Assert.Equal(1, _stsCalls);
    }

    [Fact]
    public async Task RefreshesWhenLessThanThreeMinutesRemainAndRereadsTheTokenFile()
    {
        SetRrsa();
        _stsLifetime = TimeSpan.FromMinutes(10);
        var (clients, handler) = Make();
        await ReleaseAndGetCall(clients, handler);
        _time.Offset = TimeSpan.FromMinutes(6); // 4 minutes left: keep
        await ReleaseAndGetCall(clients, handler);
        Assert.Equal(1, _stsCalls);

        File.WriteAllText(_tokenFile, OidcToken2); // the kubelet rotated the projected token
        _time.Offset = TimeSpan.FromMinutes(7) + TimeSpan.FromSeconds(30); // 2.5 minutes left: refresh
        var call = await ReleaseAndGetCall(clients, handler);
        Assert.Equal(2, _stsCalls);
        Assert.StartsWith("ACS3-HMAC-SHA256 Credential=STS.rrsa2,", call.Header("authorization"));
        var lastSts = handler.Requests.Last(r => r.Uri.Host.StartsWith("sts", StringComparison.Ordinal));
        Assert.Contains("OIDCToken=" + Uri.EscapeDataString(OidcToken2), lastSts.Body);
    }

    [Fact]
    public async Task UnreadableCacheIsReplaced()
    {
        SetRrsa();
        Directory.CreateDirectory(Path.Combine(_dir, "credentials"), PrivateDir);
        var cache = Path.Combine(_dir, "credentials", "cache.json");
        File.WriteAllText(cache, "{not json");
        File.SetUnixFileMode(cache, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (clients, handler) = Make();
        await ReleaseAndGetCall(clients, handler);
        Assert.Equal(1, _stsCalls);
        Assert.Contains(_log.Lines, l => l.StartsWith("credential cache unreadable", StringComparison.Ordinal));
        Assert.Contains("STS.rrsa1", File.ReadAllText(cache));
    }

    [Fact]
    public async Task CacheReadableByOthersIsIgnored()
    {
        SetRrsa();
        var (first, h1) = Make();
        await ReleaseAndGetCall(first, h1);
        var cache = Path.Combine(_dir, "credentials", "cache.json");
        File.SetUnixFileMode(cache, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var (second, h2) = Make();
        await ReleaseAndGetCall(second, h2);
        Assert.Equal(2, _stsCalls);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));
    }

    [Fact]
    public async Task MissingTokenFileIsANamedErrorWithoutSecrets()
    {
        SetRrsa();
        File.Delete(_tokenFile);
        var (clients, _) = Make();
        var e = await Assert.ThrowsAsync<CloudException>(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));
        Assert.Equal("OidcTokenUnreadable", e.Code);
        Assert.Contains(_tokenFile, e.Message);
    }

    [Fact]
    public void CredentialTextNeverShowsSecrets()
    {
        var c = new CloudCredential("STS.id", StsSecret, TestCloud.StsToken, DateTimeOffset.UtcNow, "rrsa");
        var text = c.ToString();
        Assert.Contains("rrsa", text);
        Assert.DoesNotContain("STS.id", text); // the AccessKey ID is an identity: not in logs either (a debug line printed it)
        Assert.DoesNotContain("STS.id", new StaticCredentialSource(c).ToString());
        Assert.DoesNotContain(StsSecret, text);
        Assert.DoesNotContain(TestCloud.StsToken, text);
        Assert.DoesNotContain(ConfSecret, new CloudOptions { StateDir = "/x", AccessKeyId = "a", AccessKeySecret = ConfSecret }.ToString());
        Assert.DoesNotContain(StsSecret, new StaticCredentialSource(c).ToString());
    }

    [Fact]
    public async Task NoLogLineOrExceptionInTheSuiteCarriesASecret()
    {
        // Drive the paths that handle secrets and fail (bad role answer, broken cache, rejected call), then check
        // everything the whole test process logged or threw so far.
        SetRrsa();
        var (clients, _) = Make();
        await clients.Eip.ReleaseEipAddressAsync("eip-1", default);
        var rejected = new FakeHandler((_, _) => FakeHandler.Error(HttpStatusCode.BadRequest, "SignatureDoesNotMatch"));
        await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(rejected, TestCloud.StsCredential, log: _log)
            .CallAsync(new RpcCall(new Uri("https://vpc.example.test"), "TagResources", "2016-04-28", new RpcParameters()), CloudJsonContext.Default.CloudAck, default));
        Assert.True(SecretWitness.TextsSeen > 0);
        Assert.Empty(SecretWitness.Leaks);
    }

    // ---- every credential field is checked before it becomes a header value or a signing key ----

    private const string Injected = "tok\r\nX-Injected: yes";

    private static async Task<CloudException> Refused(CloudClients clients, FakeHandler handler)
    {
        var e = await Assert.ThrowsAsync<CloudException>(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));
        Assert.Equal(CloudErrorCodes.UnusableCredential, e.Code);
        Assert.DoesNotContain(handler.Requests, r => r.Uri.Host.StartsWith("vpc", StringComparison.Ordinal)); // nothing was sent
        Assert.DoesNotContain("X-Injected", e.Message); // the value is never shown
        return e;
    }

    [Fact]
    public async Task A_metadata_role_token_with_a_line_break_is_refused_naming_its_source()
    {
        _roleToken = Injected;
        var (clients, handler) = Make();

        var e = await Refused(clients, handler);

        Assert.Contains("SecurityToken of the instance RAM role credential from the metadata service contains a line break", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "credentials", "cache.json"))); // not cached either
    }

    [Fact]
    public async Task An_STS_token_with_a_line_break_is_refused_naming_its_source()
    {
        SetRrsa();
        _stsToken = Injected;
        var (clients, handler) = Make();

        var e = await Refused(clients, handler);

        Assert.Contains("Credentials.SecurityToken of the STS AssumeRoleWithOIDC answer contains a line break", e.Message);
    }

    [Theory]
    [InlineData("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI\nx", "ALIBABA_CLOUD_ACCESS_KEY_ID contains a line break")]
    [InlineData("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI:x", "ALIBABA_CLOUD_ACCESS_KEY_ID contains a character other than")]
    [InlineData("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec\u0007ret", "ALIBABA_CLOUD_ACCESS_KEY_SECRET contains a control character")]
    [InlineData("ALIBABA_CLOUD_SECURITY_TOKEN", Injected, "ALIBABA_CLOUD_SECURITY_TOKEN contains a line break")]
    [InlineData("ALIBABA_CLOUD_SECURITY_TOKEN", "tök", "ALIBABA_CLOUD_SECURITY_TOKEN contains a character that is not ASCII")]
    public async Task An_environment_credential_that_cannot_be_sent_is_refused_naming_the_variable(string variable, string value, string says)
    {
        _env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAIenv";
        _env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = EnvSecret;
        _env[variable] = value;
        var (clients, handler) = Make();

        var e = await Refused(clients, handler);

        Assert.Contains(says, e.Message);
    }

    [Fact]
    public async Task An_eni_conf_key_that_cannot_be_sent_is_refused_naming_the_key()
    {
        var (clients, handler) = Make("LTAIconf\r\nX-Injected: yes", ConfSecret);

        var e = await Refused(clients, handler);

        Assert.Contains("eni_conf access_key contains a line break", e.Message);
    }

    [Fact]
    public async Task A_token_longer_than_any_real_one_is_refused()
    {
        _roleToken = new string('t', CloudCredential.MaxSecurityTokenLength + 1);
        var (clients, handler) = Make();

        var e = await Refused(clients, handler);

        Assert.Contains($"is longer than {CloudCredential.MaxSecurityTokenLength} characters", e.Message);
    }

    [Fact]
    public async Task A_cached_credential_that_cannot_be_sent_is_dropped_and_fetched_again()
    {
        SetRrsa();
        var (first, h1) = Make();
        await ReleaseAndGetCall(first, h1);
        var cache = Path.Combine(_dir, "credentials", "cache.json");
        var entry = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(cache))!;
        entry["SecurityToken"] = "tok\r\nX-Injected: yes";
        File.WriteAllText(cache, entry.ToJsonString());

        var (second, h2) = Make();
        var call = await ReleaseAndGetCall(second, h2);

        Assert.Equal(2, _stsCalls); // the poisoned cache was dropped, a fresh credential fetched
        Assert.Equal(TestCloud.StsToken, call.Header("x-acs-security-token"));
        Assert.Single(h2.Requests, r => r.Uri.Host.StartsWith("vpc", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../../meta-data/instance-id")]
    [InlineData("Node Role")]
    public async Task A_listed_role_name_that_would_change_the_metadata_path_is_refused(string name)
    {
        _roleName = name;
        var (clients, handler) = Make();

        var e = await Assert.ThrowsAsync<CloudException>(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));

        Assert.Equal(CloudErrorCodes.InvalidResponse, e.Code);
        Assert.Contains("the RAM role name", e.Message);
        Assert.Equal(0, _roleCalls);
        Assert.DoesNotContain(handler.Requests, r => r.Uri.Host.StartsWith("vpc", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_injected_header_line_reaches_the_wire()
    {
        // The real network stack against a server that records every header line it receives.
        using var server = new Support.HostileServer(r => r.Path switch
        {
            "/latest/api/token" => Support.HostileAnswer.Text("mdtoken"),
            "/latest/meta-data/ram/security-credentials/" => Support.HostileAnswer.Text("NodeRole"),
            "/latest/meta-data/ram/security-credentials/NodeRole" => Support.HostileAnswer.Json(
                $$"""{"AccessKeyId":"STS.role","AccessKeySecret":"{{RoleSecret}}","SecurityToken":"tok\r\nX-Injected: yes","Expiration":"2099-01-01T00:00:00Z","Code":"Success"}"""),
            _ => Support.HostileAnswer.Json("""{"RequestId":"V1"}"""),
        });
        var url = new Uri(server.Url);
        using var clients = CloudClients.Create(new CloudOptions
        {
            RegionId = "cn-hangzhou", VpcEndpoint = url, EcsEndpoint = url, StsEndpoint = url, MetadataEndpoint = url, StateDir = _dir,
        }, _log, _ => null, retry: TestCloud.FastRetry);

        var e = await Assert.ThrowsAsync<CloudException>(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));

        Assert.Equal(CloudErrorCodes.UnusableCredential, e.Code);
        Assert.DoesNotContain(server.Requests, r => r.Headers.ContainsKey("x-injected"));
        Assert.DoesNotContain(server.Requests, r => r.Action == "ReleaseEipAddress");
    }

    [Fact]
    public async Task A_credentials_directory_another_user_owns_is_refused_before_anything_is_fetched()
    {
        SetRrsa();
        var credentials = Path.Combine(_dir, "credentials");
        Directory.CreateDirectory(credentials);
        EipCni.Tests.Support.Nobody.Owns(credentials);
        // What that user could do with it: a file at the temp name the cache used (cache.json.PID.tmp), theirs, 0644.
        var planted = Path.Combine(credentials, $"cache.json.{Environment.ProcessId}.tmp");
        File.WriteAllText(planted, "");
        File.SetUnixFileMode(planted, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        EipCni.Tests.Support.Nobody.Owns(planted);
        var (clients, _) = Make();

        var e = await Assert.ThrowsAsync<EipCni.Cni.CniException>(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));

        Assert.Equal(EipCni.Cni.CniCode.IoFailure, e.Code);
        Assert.Contains(credentials, e.Message);
        Assert.Contains("owned by uid 65534", e.Message);
        Assert.Equal(0, _stsCalls);
        Assert.All(Directory.GetFiles(credentials), f => Assert.DoesNotContain(StsSecret, File.ReadAllText(f)));
    }

    [Fact]
    public async Task An_oidc_token_file_that_is_a_fifo_or_too_large_fails_at_once_naming_it()
    {
        SetRrsa();
        File.Delete(_tokenFile);
        Assert.Equal(0, EipCni.Tests.Support.ProcessRunner.Run("mkfifo", [_tokenFile]).ExitCode);
        var (clients, _) = Make();
        var call = Task.Run(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));
        try
        {
            var e = await Assert.ThrowsAsync<CloudException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("OidcTokenUnreadable", e.Code);
            Assert.Contains(_tokenFile + " is a FIFO", e.Message);
        }
        finally
        {
            if (!call.IsCompleted) File.WriteAllText(_tokenFile, "x"); // unblock the reader the old code left behind
        }

        File.Delete(_tokenFile);
        File.WriteAllText(_tokenFile, new string('t', 65 * 1024));
        var (again, _) = Make();
        var big = await Assert.ThrowsAsync<CloudException>(() => again.Eip.ReleaseEipAddressAsync("eip-1", default));
        Assert.Contains("larger than the limit of 65536 bytes (64 KiB)", big.Message);
        Assert.Equal(0, _stsCalls);
    }
}

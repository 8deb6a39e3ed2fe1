using System.Diagnostics;
using System.Net;
using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

public sealed class OpenApiClientTests
{
    private static readonly Uri Vpc = new("https://vpc-vpc.cn-hangzhou.aliyuncs.com");

    private static RpcCall Call(string action = "AssociateEipAddress", RpcParameters? p = null, bool mutating = true) =>
        new(Vpc, action, "2016-04-28", p ?? new RpcParameters().Add("RegionId", "cn-hangzhou").Add("ClientToken", "tok-1"), mutating);

    [Fact]
    public async Task SendsSignedPostWithParamsInQueryAndEmptyBody()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Ok());
        var p = new RpcParameters().Add("RegionId", "cn-hangzhou").Add("Name", "pod eip/ns*a~b")
            .AddTags("Tag", [new("k8s.io/pod", "default/nginx-0"), new("b", "2")]).AddList("SecurityProtectionTypes", ["AntiDDoS_Enhanced"]);
        await TestCloud.Client(handler, TestCloud.StsCredential).CallAsync(Call("AllocateEipAddress", p), CloudJsonContext.Default.CloudAck, default);

        var r = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, r.Method);
        Assert.Equal("", r.Body);
        Assert.Equal("/?Name=pod%20eip%2Fns%2Aa~b&RegionId=cn-hangzhou&SecurityProtectionTypes.1=AntiDDoS_Enhanced" +
            "&Tag.1.Key=k8s.io%2Fpod&Tag.1.Value=default%2Fnginx-0&Tag.2.Key=b&Tag.2.Value=2", r.Uri.PathAndQuery);
        Assert.Equal("application/json", r.Header("accept"));
        Assert.Equal("AllocateEipAddress", r.Header("x-acs-action"));
        Assert.Equal("2016-04-28", r.Header("x-acs-version"));
        Assert.Equal(AcsSigner.EmptyPayloadHash, r.Header("x-acs-content-sha256"));
        Assert.Equal(TestCloud.StsToken, r.Header("x-acs-security-token"));
        Assert.Matches("^[0-9a-f]{32}$", r.Header("x-acs-signature-nonce"));
        var date = DateTime.ParseExact(r.Header("x-acs-date"), "yyyy-MM-ddTHH:mm:ssZ", null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(date, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));

        // The Authorization must be what an independent verifier computes from the request as sent.
        var headers = r.Headers.Where(h => h.Key.StartsWith("x-acs-", StringComparison.Ordinal))
            .Append(new("host", "vpc-vpc.cn-hangzhou.aliyuncs.com"));
        var expected = AcsSigner.Sign("POST", "/", r.Query, headers, AcsSigner.EmptyPayloadHash, "STS.testid", TestCloud.Secret);
        Assert.Equal(expected.Authorization, r.Header("authorization"));
        Assert.Contains("SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,", r.Header("authorization"));
    }

    [Fact]
    public async Task NoSecurityTokenHeaderForALongLivedKey()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Ok());
        await TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default);
        Assert.DoesNotContain("x-acs-security-token", Assert.Single(handler.Requests).Headers.Keys);
    }

    [Fact]
    public async Task HostHeaderCarriesANonDefaultPort()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Ok());
        var call = Call() with { Endpoint = new Uri("http://127.0.0.1:8123") };
        await TestCloud.Client(handler).CallAsync(call, CloudJsonContext.Default.CloudAck, default);
        var r = Assert.Single(handler.Requests);
        Assert.Equal("127.0.0.1:8123", r.Uri.Authority);
        var headers = r.Headers.Where(h => h.Key.StartsWith("x-acs-", StringComparison.Ordinal)).Append(new("host", "127.0.0.1:8123"));
        Assert.Equal(AcsSigner.Sign("POST", "/", r.Query, headers, AcsSigner.EmptyPayloadHash, "LTAItestid", TestCloud.Secret).Authorization, r.Header("authorization"));
    }

    public static TheoryData<int, string, bool> Classification => new()
    {
        { 400, "Throttling.User", true },
        { 400, "Throttling", true },
        { 503, "Throttling.Api", true },
        { 400, "TaskConflict", true },
        { 409, "OperationConflict", true },
        { 403, "LastTokenProcessing", true },
        { 503, "ServiceUnavailable", true },
        { 500, "InternalError", true },
        { 400, "SystemBusy", true },
        { 502, "BadGateway", true },
        // Only a re-sent copy of a request reuses a nonce; a retry is signed afresh, and ClientTokens keep it idempotent.
        { 400, "SignatureNonceUsed", true },
        { 400, "SignatureDoesNotMatch", false },
        { 400, "InvalidParameter", false },
        { 400, "QuotaExceeded.Eip", false },
        { 403, "Forbidden.RAM", false },
        { 404, "InvalidAllocationId.NotFound", false },
        { 400, "IncorrectEipStatus", false },
        { 400, "InvalidAssociation.Duplicated", false },
        { 400, "IdempotentParameterMismatch", false },
    };

    [Theory]
    [MemberData(nameof(Classification))]
    public async Task ParsesErrorsAndClassifiesThem(int status, string code, bool retryable)
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Error((HttpStatusCode)status, code, "REQ-" + code));
        var retry = TestCloud.FastRetry with { MaxAttempts = 3 };
        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler, retry: retry).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default));
        Assert.Equal(code, e.Code);
        Assert.Equal(status, e.HttpStatus);
        Assert.Equal("REQ-" + code, e.RequestId);
        Assert.Equal("AssociateEipAddress", e.Action);
        Assert.Equal(code + " happened", e.CloudMessage);
        Assert.Equal(retryable, e.IsRetryable);
        Assert.Contains(code, e.Message);
        Assert.Contains("REQ-" + code, e.Message);
        // Final errors are tried once; retryable ones until the attempts run out.
        Assert.Equal(retryable ? 3 : 1, handler.Requests.Count);
    }

    [Fact]
    public async Task NonJsonErrorIsClassifiedByStatus()
    {
        var handler = new FakeHandler((_, n) => n == 1
            ? new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>bad gateway</html>") }
            : FakeHandler.Ok());
        var ack = await TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default);
        Assert.Equal("REQ-OK", ack.RequestId);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task SuccessThatIsNotJsonIsAFinalError()
    {
        var handler = new FakeHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<xml/>") });
        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default));
        Assert.Equal(CloudErrorCodes.InvalidResponse, e.Code);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task ThrottlingHonoursRetryAfterAndKeepsTheClientToken()
    {
        var handler = new FakeHandler((_, n) => n <= 2
            ? FakeHandler.Error(HttpStatusCode.BadRequest, "Throttling.User", headers: ("x-acs-retry-after", "300"))
            : FakeHandler.Ok());
        var sw = Stopwatch.StartNew();
        await TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default);
        Assert.InRange(sw.ElapsedMilliseconds, 580, 3000); // two waits of at least 300 ms each
        var requests = handler.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.All(requests, r => Assert.Equal("tok-1", r.Query["ClientToken"]));
        // A fresh nonce (and so a fresh signature) per attempt.
        Assert.Equal(3, requests.Select(r => r.Header("x-acs-signature-nonce")).Distinct().Count());
        Assert.Equal("2", requests[2].Header("x-acs-retry-attempts"));
        // The gateway refuses any x-acs-* header that is not signed.
        Assert.Contains(";x-acs-retry-attempts;", requests[2].Header("authorization"));
    }

    [Fact]
    public async Task TaskConflictAnd5xxAreRetriedUntilSuccess()
    {
        var handler = new FakeHandler((_, n) => n switch
        {
            1 => FakeHandler.Error(HttpStatusCode.BadRequest, "TaskConflict"),
            2 => FakeHandler.Error(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable"),
            3 => FakeHandler.Error(HttpStatusCode.InternalServerError, "InternalError"),
            _ => FakeHandler.Ok(),
        });
        var log = new RecordingLog();
        var ack = await TestCloud.Client(handler, log: log).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default);
        Assert.Equal("REQ-OK", ack.RequestId);
        Assert.Equal(4, handler.Requests.Count);
        Assert.Equal(3, log.Lines.Count(l => l.StartsWith("cloud call failed, retrying", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TimeoutsAndDroppedConnectionsAreRetried()
    {
        var handler = new FakeHandler(async (_, n, ct) =>
        {
            if (n == 1) await Task.Delay(TimeSpan.FromSeconds(30), ct); // longer than the per-request timeout
            if (n == 2) throw new HttpRequestException(HttpRequestError.ConnectionError, "connection reset by peer");
            if (n == 3) throw new IOException("unexpected end of stream");
            return FakeHandler.Ok();
        });
        var retry = TestCloud.FastRetry with { RequestTimeout = TimeSpan.FromMilliseconds(200) };
        var sw = Stopwatch.StartNew();
        var ack = await TestCloud.Client(handler, retry: retry).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default);
        Assert.Equal("REQ-OK", ack.RequestId);
        Assert.Equal(4, handler.Requests.Count);
        Assert.InRange(sw.ElapsedMilliseconds, 190, 5000);
    }

    [Fact]
    public async Task RetriesFinishWithinTheDeadline()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Error(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable"));
        var retry = TestCloud.FastRetry with { BackoffBase = TimeSpan.FromMilliseconds(50), BackoffMax = TimeSpan.FromMilliseconds(200), MaxAttempts = 1000 };
        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(800));
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler, retry: retry).CallAsync(Call(), CloudJsonContext.Default.CloudAck, budget.Token));
        Assert.InRange(sw.ElapsedMilliseconds, 700, 1300);
        Assert.Equal("ServiceUnavailable", e.Code); // the last error, not a bare cancellation
        Assert.InRange(handler.Requests.Count, 3, 30);
    }

    [Fact]
    public async Task DeadlineShorterThanTheBackoffReturnsTheLastErrorPromptly()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Error(HttpStatusCode.BadRequest, "Throttling.User", "REQ-T", ("x-acs-retry-after", "10000")));
        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, budget.Token));
        Assert.True(sw.ElapsedMilliseconds < 1500, $"took {sw.ElapsedMilliseconds} ms");
        Assert.Equal("Throttling.User", e.Code);
        Assert.Equal("REQ-T", e.RequestId);
        Assert.Equal(TimeSpan.FromSeconds(10), e.RetryAfter);
        Assert.True(e.IsThrottling);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task BudgetEndingDuringTheFirstAttemptIsDeadlineExceeded()
    {
        var handler = new FakeHandler(async (_, _, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return FakeHandler.Ok();
        });
        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, budget.Token));
        Assert.Equal(CloudErrorCodes.DeadlineExceeded, e.Code);
        Assert.True(e.IsRetryable);
    }

    [Fact]
    public async Task RejectedTemporaryCredentialIsRefreshedOnce()
    {
        var source = new CountingSource();
        var handler = new FakeHandler((r, _) => r.Header("x-acs-security-token") == "tok-1"
            ? FakeHandler.Error(HttpStatusCode.BadRequest, "InvalidSecurityToken.Expired")
            : FakeHandler.Ok());
        await TestCloud.Client(handler, credentials: source).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default);
        Assert.Equal(["tok-1", "tok-2"], handler.Requests.Select(r => r.Header("x-acs-security-token")));
        Assert.Equal(1, source.Invalidations);
    }

    [Fact]
    public async Task AnonymousCallSendsAFormBodyAndNoSignature()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Ok());
        var p = new RpcParameters().Add("RoleArn", "acs:ram::1:role/x").Add("OIDCToken", "a b+c");
        var call = new RpcCall(new Uri("https://sts-vpc.cn-hangzhou.aliyuncs.com"), "AssumeRoleWithOIDC", "2015-04-01", p, Anonymous: true);
        var client = new OpenApiClient(new HttpClient(handler), null, UnlimitedCloudCallGate.Instance, TestCloud.FastRetry, new RecordingLog(), TimeProvider.System);
        await client.CallAsync(call, CloudJsonContext.Default.CloudAck, default);
        var r = Assert.Single(handler.Requests);
        Assert.Equal("RoleArn=acs%3Aram%3A%3A1%3Arole%2Fx&OIDCToken=a%20b%2Bc", r.Body);
        Assert.Equal("application/x-www-form-urlencoded", r.Header("content-type"));
        Assert.Equal("", r.Header("authorization"));
        Assert.Equal("AssumeRoleWithOIDC", r.Query["Action"]);
        Assert.Equal("2015-04-01", r.Query["Version"]);
        Assert.Equal("JSON", r.Query["Format"]);
    }

    [Fact]
    public async Task MutatingCallsHoldASlotAndReadsDoNot()
    {
        var gate = new CountingGate();
        var handler = new FakeHandler((_, _) => FakeHandler.Ok());
        var client = TestCloud.Client(handler, gate: gate);
        await client.CallAsync(Call(mutating: true), CloudJsonContext.Default.CloudAck, default);
        await client.CallAsync(Call("DescribeEipAddresses", mutating: false), CloudJsonContext.Default.CloudAck, default);
        Assert.Equal(1, gate.Entered);
        Assert.Equal(0, gate.Held);
    }

    private sealed class CountingSource : ICredentialSource
    {
        private int _n = 1;
        public int Invalidations;
        public ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CloudCredential("STS.x", TestCloud.Secret, "tok-" + _n, DateTimeOffset.UtcNow.AddHours(1), "counting"));
        public void Invalidate(CloudCredential rejected)
        {
            Invalidations++;
            _n++;
        }
    }

    private sealed class CountingGate : ICloudCallGate
    {
        public int Entered, Held;
        public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
        {
            Entered++;
            Held++;
            return ValueTask.FromResult<IDisposable>(new Release(this));
        }
        private sealed class Release(CountingGate g) : IDisposable
        {
            public void Dispose() => g.Held--;
        }
    }
}

using System.Diagnostics;
using System.Net;
using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

public sealed class InstanceMetadataTests
{
    private static readonly MetadataSettings Fast = new() { RequestTimeout = TimeSpan.FromMilliseconds(300), Backoff = TimeSpan.FromMilliseconds(10) };

    private static HttpResponseMessage Text(string text, HttpStatusCode status = HttpStatusCode.OK) => new(status) { Content = new StringContent(text) };

    /// <summary>A hardened metadata service: tokens "t1", "t2", ... and only the newest one is valid.</summary>
    private sealed class HardenedService
    {
        public int Issued;
        public Dictionary<string, string> Values { get; } = new()
        {
            ["/latest/meta-data/region-id"] = "cn-hangzhou",
            ["/latest/meta-data/instance-id"] = "i-abc",
            ["/latest/meta-data/vpc-id"] = "vpc-1",
            ["/latest/meta-data/network/interfaces/macs/"] = "00:16:3e:00:00:01/\n00:16:3e:00:00:02/\n",
            ["/latest/meta-data/network/interfaces/macs/00:16:3e:00:00:02/network-interface-id"] = "eni-2",
            ["/latest/meta-data/network/interfaces/macs/00:16:3e:00:00:02/primary-ip-address"] = "10.0.1.1",
            ["/latest/meta-data/network/interfaces/macs/00:16:3e:00:00:02/private-ipv4s"] = """["10.0.1.1","10.0.1.2"]""",
        };

        public HttpResponseMessage Answer(SeenRequest r, int n)
        {
            if (r.Method == HttpMethod.Put && r.Uri.AbsolutePath == "/latest/api/token")
            {
                Assert.Equal("21600", r.Header("X-aliyun-ecs-metadata-token-ttl-seconds"));
                return Text("t" + ++Issued);
            }
            if (r.Header("X-aliyun-ecs-metadata-token") != "t" + Issued) return Text("", HttpStatusCode.Unauthorized);
            return Values.TryGetValue(r.Uri.AbsolutePath, out var v) ? Text(v) : Text("not found", HttpStatusCode.NotFound);
        }
    }

    private static InstanceMetadata Make(FakeHandler handler, MetadataSettings? settings = null) =>
        new(new HttpClient(handler), new Uri("http://127.0.0.1:1"), settings ?? Fast, new RecordingLog(), TimeProvider.System);

    [Fact]
    public async Task HardenedModeSendsOneTokenWithEveryGet()
    {
        var service = new HardenedService();
        var handler = new FakeHandler(service.Answer);
        var md = Make(handler);
        Assert.Equal("cn-hangzhou", await md.GetRegionIdAsync(default));
        Assert.Equal("i-abc", await md.GetInstanceIdAsync(default));
        Assert.Equal("vpc-1", await md.GetVpcIdAsync(default));
        Assert.Equal(1, service.Issued);
        Assert.All(handler.Requests.Where(r => r.Method == HttpMethod.Get), r => Assert.Equal("t1", r.Header("X-aliyun-ecs-metadata-token")));
    }

    [Fact]
    public async Task FreshTokenAfter401()
    {
        var service = new HardenedService();
        var md = Make(new FakeHandler(service.Answer));
        Assert.Equal("cn-hangzhou", await md.GetRegionIdAsync(default));
        service.Issued++; // the service restarted: "t1" is no longer valid
        Assert.Equal("i-abc", await md.GetInstanceIdAsync(default));
        Assert.Equal(3, service.Issued);
    }

    [Fact]
    public async Task ReadsMacsAndEni()
    {
        var md = Make(new FakeHandler(new HardenedService().Answer));
        Assert.Equal(["00:16:3e:00:00:01", "00:16:3e:00:00:02"], await md.GetMacsAsync(default));
        var eni = await md.GetEniAsync("00:16:3e:00:00:02", default);
        Assert.Equal("00:16:3e:00:00:02", eni.Mac);
        Assert.Equal("eni-2", eni.NetworkInterfaceId);
        Assert.Equal("10.0.1.1", eni.PrimaryIpAddress);
        Assert.Equal(["10.0.1.1", "10.0.1.2"], eni.PrivateIpv4s);
    }

    [Fact]
    public async Task RetriesTooManyRequestsAndServerErrors()
    {
        var handler = new FakeHandler((r, n) => r.Method == HttpMethod.Put ? Text("tok")
            : n switch { 2 => Text("", HttpStatusCode.TooManyRequests), 3 => Text("", HttpStatusCode.InternalServerError), _ => Text("cn-beijing") });
        Assert.Equal("cn-beijing", await Make(handler).GetRegionIdAsync(default));
        Assert.Equal(3, handler.Requests.Count(r => r.Method == HttpMethod.Get));
    }

    [Fact]
    public async Task NotFoundIsFinal()
    {
        var handler = new FakeHandler((r, _) => r.Method == HttpMethod.Put ? Text("tok") : Text("", HttpStatusCode.NotFound));
        var e = await Assert.ThrowsAsync<CloudException>(() => Make(handler).GetAsync("ram/security-credentials/", default));
        Assert.Equal("MetadataNotFound", e.Code);
        Assert.False(e.IsRetryable);
        Assert.Single(handler.Requests, r => r.Method == HttpMethod.Get);
    }

    [Fact]
    public async Task FallsBackToPlainGetsWithoutATokenEndpoint()
    {
        var handler = new FakeHandler((r, _) => r.Method == HttpMethod.Put ? Text("", HttpStatusCode.NotFound) : Text("cn-shanghai"));
        var md = Make(handler);
        Assert.Equal("cn-shanghai", await md.GetRegionIdAsync(default));
        Assert.Equal("cn-shanghai", await md.GetRegionIdAsync(default));
        Assert.Single(handler.Requests, r => r.Method == HttpMethod.Put);
        Assert.All(handler.Requests.Where(r => r.Method == HttpMethod.Get), r => Assert.Equal("", r.Header("X-aliyun-ecs-metadata-token")));
    }

    [Fact]
    public async Task ShortTimeoutsEndAStalledService()
    {
        var handler = new FakeHandler(async (_, _, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return Text("x");
        });
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CloudException>(() => Make(handler).GetRegionIdAsync(default));
        Assert.Equal(CloudErrorCodes.RequestTimeout, e.Code);
        Assert.InRange(sw.ElapsedMilliseconds, 800, 3000); // three attempts of 300 ms
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnAnswerOverTheSmallCapIsRefusedAtOnce(bool announce)
    {
        var body = new SyntheticContent("", "a", 200L * 1024 * 1024, "", announce);
        var handler = new FakeHandler((r, _) => r.Method == HttpMethod.Put ? Text("t1") : SyntheticContent.Answer(HttpStatusCode.OK, body));
        var sw = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<CloudException>(() => Make(handler).GetRegionIdAsync(default));

        Assert.Equal((CloudErrorCodes.InvalidResponse, 200), (e.Code, e.HttpStatus));
        Assert.Contains("32 KiB", e.Message);
        Assert.False(e.IsRetryable);
        Assert.Single(handler.Requests, r => r.Method == HttpMethod.Get);
        Assert.InRange(body.Read, 0, 32 * 1024 + 1);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
    }

    [Theory]
    [InlineData("t1\r\nX-Injected: yes")]
    [InlineData("t1 x")]
    [InlineData("t1\u0000")]
    public async Task ATokenThatCannotBeAHeaderValueIsRefused(string token)
    {
        var handler = new FakeHandler((r, _) => r.Method == HttpMethod.Put ? Text(token) : Text("cn-hangzhou"));

        var e = await Assert.ThrowsAsync<CloudException>(() => Make(handler).GetRegionIdAsync(default));

        Assert.Equal(CloudErrorCodes.InvalidResponse, e.Code);
        Assert.Contains("the metadata token contains", e.Message);
        Assert.DoesNotContain(handler.Requests, r => r.Method == HttpMethod.Get);
    }
}

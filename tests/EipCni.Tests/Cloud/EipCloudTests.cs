using EipCni.Cni;
using System.Net;
using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

public sealed class EipCloudTests
{
    private static (EipCloud Cloud, FakeHandler Handler) Make(Func<SeenRequest, int, HttpResponseMessage> answer)
    {
        var handler = new FakeHandler(answer);
        return (new EipCloud(TestCloud.Client(handler), TestCloud.Endpoints()), handler);
    }

    [Fact]
    public async Task AllocateSendsEveryOptionFlattened()
    {
        var (cloud, handler) = Make((_, _) => FakeHandler.Ok("""{"RequestId":"R1","AllocationId":"eip-1","EipAddress":"203.0.113.9","ResourceGroupId":"rg-1"}"""));
        var result = await cloud.AllocateEipAddressAsync(new AllocateEipRequest
        {
            Bandwidth = "10",
            InternetChargeType = "PayByTraffic",
            InstanceChargeType = "PostPaid",
            Isp = "BGP_PRO",
            PublicIpAddressPoolId = "pippool-1",
            ResourceGroupId = "rg-1",
            Name = "ns/pod",
            Description = "for pod",
            SecurityProtectionTypes = ["AntiDDoS_Enhanced"],
            Tags = [new("eip-cni/cluster", "c1"), new("eip-cni/pod", "default/nginx-0")],
            ClientToken = "ct-1",
        }, default);

        Assert.Equal(new AllocateEipResult { RequestId = "R1", AllocationId = "eip-1", EipAddress = "203.0.113.9", ResourceGroupId = "rg-1" }, result);
        var r = Assert.Single(handler.Requests);
        Assert.Equal("AllocateEipAddress", r.Header("x-acs-action"));
        Assert.Equal(new Dictionary<string, string>
        {
            ["RegionId"] = "cn-hangzhou", ["Bandwidth"] = "10", ["InternetChargeType"] = "PayByTraffic", ["InstanceChargeType"] = "PostPaid",
            ["ISP"] = "BGP_PRO", ["PublicIpAddressPoolId"] = "pippool-1", ["ResourceGroupId"] = "rg-1", ["Name"] = "ns/pod",
            ["Description"] = "for pod", ["SecurityProtectionTypes.1"] = "AntiDDoS_Enhanced",
            ["Tag.1.Key"] = "eip-cni/cluster", ["Tag.1.Value"] = "c1", ["Tag.2.Key"] = "eip-cni/pod", ["Tag.2.Value"] = "default/nginx-0",
            ["ClientToken"] = "ct-1",
        }, r.Query);
    }

    [Fact]
    public async Task AllocateLeavesUnsetOptionsOut()
    {
        var (cloud, handler) = Make((_, _) => FakeHandler.Ok("""{"RequestId":"R1","AllocationId":"eip-1","EipAddress":"203.0.113.9"}"""));
        await cloud.AllocateEipAddressAsync(new AllocateEipRequest { ClientToken = "ct" }, default);
        Assert.Equal(["ClientToken", "RegionId"], Assert.Single(handler.Requests).Query.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AssociateAndUnassociateNameTheEniAndIp()
    {
        var (cloud, handler) = Make((_, n) => FakeHandler.Ok($$"""{"RequestId":"R{{n}}"}"""));
        Assert.Equal("R1", await cloud.AssociateEipAddressAsync(new AssociateEipRequest("eip-1", "eni-1", "10.0.0.5") { ClientToken = "ct-a" }, default));
        Assert.Equal("R2", await cloud.UnassociateEipAddressAsync(new UnassociateEipRequest("eip-1") { InstanceId = "eni-1", PrivateIpAddress = "10.0.0.5" }, default));
        Assert.Equal("R3", await cloud.ReleaseEipAddressAsync("eip-1", default));
        var rs = handler.Requests.ToArray();
        Assert.Equal(new Dictionary<string, string>
        {
            ["RegionId"] = "cn-hangzhou", ["AllocationId"] = "eip-1", ["InstanceId"] = "eni-1", ["InstanceType"] = "NetworkInterface",
            ["PrivateIpAddress"] = "10.0.0.5", ["ClientToken"] = "ct-a",
        }, rs[0].Query);
        Assert.Equal(new Dictionary<string, string>
        {
            ["RegionId"] = "cn-hangzhou", ["AllocationId"] = "eip-1", ["InstanceId"] = "eni-1", ["InstanceType"] = "NetworkInterface", ["PrivateIpAddress"] = "10.0.0.5",
        }, rs[1].Query);
        Assert.Equal(new Dictionary<string, string> { ["RegionId"] = "cn-hangzhou", ["AllocationId"] = "eip-1" }, rs[2].Query);
        Assert.Equal(["AssociateEipAddress", "UnassociateEipAddress", "ReleaseEipAddress"], rs.Select(r => r.Header("x-acs-action")));
    }

    [Fact]
    public async Task BandwidthPackageAndTags()
    {
        var (cloud, handler) = Make((_, _) => FakeHandler.Ok());
        await cloud.AddCommonBandwidthPackageIpAsync("cbwp-1", "eip-1", "ct-b", default);
        await cloud.RemoveCommonBandwidthPackageIpAsync("cbwp-1", "eip-1", null, default);
        await cloud.TagResourcesAsync(["eip-1"], [new("owner", "cni"), new("pod", "a/b")], default);
        var rs = handler.Requests.ToArray();
        Assert.Equal(new Dictionary<string, string> { ["RegionId"] = "cn-hangzhou", ["BandwidthPackageId"] = "cbwp-1", ["IpInstanceId"] = "eip-1", ["IpType"] = "EIP", ["ClientToken"] = "ct-b" }, rs[0].Query);
        Assert.Equal(new Dictionary<string, string> { ["RegionId"] = "cn-hangzhou", ["BandwidthPackageId"] = "cbwp-1", ["IpInstanceId"] = "eip-1" }, rs[1].Query);
        Assert.Equal(new Dictionary<string, string>
        {
            ["RegionId"] = "cn-hangzhou", ["ResourceType"] = "EIP", ["ResourceId.1"] = "eip-1",
            ["Tag.1.Key"] = "owner", ["Tag.1.Value"] = "cni", ["Tag.2.Key"] = "pod", ["Tag.2.Value"] = "a/b",
        }, rs[2].Query);
    }

    private const string OneEip = """
        {"AllocationId":"eip-1","IpAddress":"203.0.113.9","Status":"InUse","RegionId":"cn-hangzhou","InstanceId":"eni-1",
         "InstanceType":"NetworkInterface","PrivateIpAddress":"","Mode":"NAT","Bandwidth":"5","EipBandwidth":"5",
         "InternetChargeType":"PayByTraffic","ChargeType":"PostPaid","ISP":"BGP","BandwidthPackageId":"cbwp-1",
         "DeletionProtection":false,"ServiceManaged":0,"HDMonitorStatus":"false",
         "OperationLocks":{"LockReason":[]},"SecurityProtectionTypes":{"SecurityProtectionType":["AntiDDoS_Enhanced"]},
         "Tags":{"Tag":[{"Key":"eip-cni/cluster","Value":"c1"},{"Key":"empty","Value":""}]}}
        """;

    [Fact]
    public async Task DescribeParsesTheOfficialShape()
    {
        var (cloud, _) = Make((_, _) => FakeHandler.Ok($$$"""{"RequestId":"R","TotalCount":1,"PageNumber":1,"PageSize":100,"EipAddresses":{"EipAddress":[{{{OneEip}}}]}}"""));
        var eip = Assert.Single(await cloud.DescribeEipAddressesAsync(new EipQuery { AllocationIds = ["eip-1"] }, default));
        Assert.Equal("eip-1", eip.AllocationId);
        Assert.Equal("InUse", eip.Status);
        Assert.Equal("eni-1", eip.InstanceId);
        Assert.Equal("", eip.PrivateIpAddress);
        Assert.Equal("5", eip.Bandwidth);
        Assert.Equal("BGP", eip.Isp);
        Assert.Equal("cbwp-1", eip.BandwidthPackageId);
        Assert.Equal(["AntiDDoS_Enhanced"], eip.SecurityProtectionTypes!.SecurityProtectionType!);
        Assert.Equal(new Dictionary<string, string> { ["eip-cni/cluster"] = "c1", ["empty"] = "" }, eip.TagMap);
    }

    [Fact]
    public async Task DescribeFollowsPagesToTheEnd()
    {
        var (cloud, handler) = Make((r, _) =>
        {
            var page = int.Parse(r.Query["PageNumber"]);
            var count = page < 3 ? 100 : 50;
            var items = string.Join(",", Enumerable.Range(0, count).Select(i => OneEip.Replace("eip-1", $"eip-{page}-{i}")));
            return FakeHandler.Ok($$$"""{"RequestId":"R","TotalCount":250,"PageNumber":{{{page}}},"PageSize":100,"EipAddresses":{"EipAddress":[{{{items}}}]}}""");
        });
        var all = await cloud.DescribeEipAddressesAsync(new EipQuery { Tags = [new("eip-cni/cluster", "c1")], Status = "Available" }, default);
        Assert.Equal(250, all.Select(e => e.AllocationId).Distinct().Count());
        var rs = handler.Requests.ToArray();
        Assert.Equal(["1", "2", "3"], rs.Select(r => r.Query["PageNumber"]));
        Assert.All(rs, r =>
        {
            Assert.Equal("100", r.Query["PageSize"]);
            Assert.Equal("eip-cni/cluster", r.Query["Tag.1.Key"]);
            Assert.Equal("c1", r.Query["Tag.1.Value"]);
            Assert.Equal("Available", r.Query["Status"]);
        });
    }

    [Fact]
    public async Task DescribeSendsIdsFiftyPerCallAndAnEmptyListMatchesNothing()
    {
        var (cloud, handler) = Make((_, _) => FakeHandler.Ok("""{"RequestId":"R","TotalCount":0,"PageNumber":1,"PageSize":100,"EipAddresses":{"EipAddress":[]}}"""));
        Assert.Empty(await cloud.DescribeEipAddressesAsync(new EipQuery { AllocationIds = [] }, default));
        Assert.Empty(handler.Requests);

        var ids = Enumerable.Range(0, 120).Select(i => "eip-" + i).ToArray();
        await cloud.DescribeEipAddressesAsync(new EipQuery { AllocationIds = ids, AssociatedInstanceType = "NetworkInterface", AssociatedInstanceId = "eni-1" }, default);
        var rs = handler.Requests.ToArray();
        Assert.Equal([50, 50, 20], rs.Select(r => r.Query["AllocationId"].Split(',').Length));
        Assert.Equal(ids, rs.SelectMany(r => r.Query["AllocationId"].Split(',')));
        Assert.All(rs, r => Assert.Equal("eni-1", r.Query["AssociatedInstanceId"]));
    }

    [Fact]
    public async Task DescribeNetworkInterfacesFollowsNextToken()
    {
        var handler = new FakeHandler((r, n) =>
        {
            var next = n < 2 ? "page2" : "";
            return FakeHandler.Ok($$$"""
                {"RequestId":"R","NextToken":"{{{next}}}","TotalCount":2,"NetworkInterfaceSets":{"NetworkInterfaceSet":[
                 {"NetworkInterfaceId":"eni-{{{n}}}","Type":"Secondary","MacAddress":"00:16:3e:00:00:0{{{n}}}","PrivateIpAddress":"10.0.{{{n}}}.1",
                  "PrivateIpSets":{"PrivateIpSet":[{"PrivateIpAddress":"10.0.{{{n}}}.1","Primary":true},{"PrivateIpAddress":"10.0.{{{n}}}.2","Primary":false}]},
                  "Tags":{"Tag":[{"TagKey":"k","TagValue":"v"}]}}]}}
                """);
        });
        var ecs = new EcsCloud(TestCloud.Client(handler), TestCloud.Endpoints());
        var enis = await ecs.DescribeNetworkInterfacesAsync(new NetworkInterfaceQuery { InstanceId = "i-1", PrivateIpAddresses = ["10.0.2.2"] }, default);
        Assert.Equal(["eni-1", "eni-2"], enis.Select(e => e.NetworkInterfaceId));
        Assert.Equal(["10.0.2.1", "10.0.2.2"], enis[1].PrivateIpAddresses);
        Assert.Equal("v", enis[0].Tags!.Tag![0].TagValue);
        var rs = handler.Requests.ToArray();
        Assert.Equal("DescribeNetworkInterfaces", rs[0].Header("x-acs-action"));
        Assert.Equal("2014-05-26", rs[0].Header("x-acs-version"));
        Assert.Equal("ecs.example.test", rs[0].Uri.Host);
        Assert.False(rs[0].Query.ContainsKey("NextToken"));
        Assert.Equal("page2", rs[1].Query["NextToken"]);
        Assert.All(rs, r => Assert.Equal("10.0.2.2", r.Query["PrivateIpAddress.1"]));
        Assert.All(rs, r => Assert.Equal("i-1", r.Query["InstanceId"]));
    }

    [Fact]
    public async Task RegionComesFromMetadataWhenNotConfigured()
    {
        var handler = new FakeHandler((r, _) => r.Uri.AbsolutePath == "/latest/api/token"
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("tkn") }
            : r.Uri.AbsolutePath == "/latest/meta-data/region-id"
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("ap-southeast-1\n") }
                : FakeHandler.Ok());
        var http = new HttpClient(handler);
        var metadata = new InstanceMetadata(http, new Uri("http://127.0.0.1:9"), new MetadataSettings(), new RecordingLog(), TimeProvider.System);
        var endpoints = new CloudEndpoints(new CloudOptions { StateDir = "/nonexistent" }, metadata);
        var cloud = new EipCloud(TestCloud.Client(handler), endpoints);
        await cloud.ReleaseEipAddressAsync("eip-1", default);
        await cloud.ReleaseEipAddressAsync("eip-2", default);
        var calls = handler.Requests.Where(r => r.Uri.AbsolutePath == "/").ToArray();
        Assert.All(calls, r => Assert.Equal("vpc-vpc.ap-southeast-1.aliyuncs.com", r.Uri.Host));
        Assert.All(calls, r => Assert.Equal("ap-southeast-1", r.Query["RegionId"]));
        Assert.Single(handler.Requests, r => r.Uri.AbsolutePath.EndsWith("region-id", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"RequestId":"R1","EipAddress":"203.0.113.9"}""", "the answer has no AllocationId")]
    [InlineData("""{"RequestId":"R1","AllocationId":"","EipAddress":"203.0.113.9"}""", "the answer has no AllocationId")]
    [InlineData("""{"RequestId":"R1","AllocationId":"eip-1\r\nx","EipAddress":"203.0.113.9"}""", "the answer's AllocationId is not an EIP ID")]
    [InlineData("""{"RequestId":"R1","AllocationId":"eip-1"}""", "the answer has no EipAddress")]
    [InlineData("""{"RequestId":"R1","AllocationId":"eip-1","EipAddress":"10.0.1.014"}""", "the answer's EipAddress is not an IPv4 address")]
    public async Task AnAllocationAnswerWithoutWhatItPromisesIsAnInvalidResponse(string answer, string says)
    {
        var (cloud, handler) = Make((_, _) => FakeHandler.Ok(answer));

        var e = await Assert.ThrowsAsync<CloudException>(() => cloud.AllocateEipAddressAsync(new AllocateEipRequest { ClientToken = "ct" }, default));

        // InvalidResponse: every caller treats it as "the cloud may have allocated" (a lost answer), not as a refusal.
        Assert.Equal((CloudErrorCodes.InvalidResponse, 200, "R1"), (e.Code, e.HttpStatus, e.RequestId));
        Assert.Contains(says, e.Message);
        Assert.False(e.IsRetryable);
        Assert.Single(handler.Requests);
    }

    private static string EipItems(int count, string prefix = "eip-x") =>
        string.Join(",", Enumerable.Range(0, count).Select(i => $$"""{"AllocationId":"{{prefix}}{{i}}","IpAddress":"203.0.113.1","Status":"Available"}"""));

    [Fact]
    public async Task DescribeStopsAtThePageCapWhenTotalCountNeverEnds()
    {
        var (cloud, handler) = Make((r, _) => FakeHandler.Ok(
            $$$"""{"RequestId":"R","TotalCount":2147483647,"PageNumber":{{{r.Query["PageNumber"]}}},"PageSize":100,"EipAddresses":{"EipAddress":[{{{EipItems(100)}}}]}}"""));

        var e = await Assert.ThrowsAsync<CloudException>(() => cloud.DescribeEipAddressesAsync(new EipQuery { Status = "Available" }, default));

        Assert.Equal(CloudErrorCodes.InvalidResponse, e.Code);
        Assert.Contains("goes on past 50 pages (TotalCount 2147483647)", e.Message);
        Assert.Equal(50, handler.Requests.Count);
    }

    [Fact]
    public async Task DescribeRefusesAPageWithMoreEipsThanAskedFor()
    {
        var (cloud, _) = Make((_, _) => FakeHandler.Ok($$$"""{"RequestId":"R","TotalCount":101,"EipAddresses":{"EipAddress":[{{{EipItems(101)}}}]}}"""));

        var e = await Assert.ThrowsAsync<CloudException>(() => cloud.DescribeEipAddressesAsync(new EipQuery { Status = "Available" }, default));

        Assert.Contains("a page holds 101 EIPs, more than the 100 asked for", e.Message);
    }

    [Fact]
    public async Task DescribePagesTogetherStayWithinTheListingCap()
    {
        // Pages of 100 EIPs of 3 MiB each: each is a legal page, three of them are more than a listing may hold.
        var description = new string('d', 30 * 1024);
        var items = string.Join(",", Enumerable.Range(0, 100).Select(i => $$"""{"AllocationId":"eip-x{{i}}","IpAddress":"203.0.113.1","Status":"Available","Description":"{{description}}"}"""));
        var (cloud, handler) = Make((_, _) => FakeHandler.Ok($$$"""{"RequestId":"R","TotalCount":100000,"EipAddresses":{"EipAddress":[{{{items}}}]}}"""));

        var e = await Assert.ThrowsAsync<CloudException>(() => cloud.DescribeEipAddressesAsync(new EipQuery { Status = "Available" }, default));

        Assert.Contains("the pages of this listing are larger than 8 MiB together", e.Message);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task DescribeNetworkInterfacesStopsAtThePageCapWhenNextTokensNeverEnd()
    {
        var handler = new FakeHandler((_, n) => FakeHandler.Ok($$$"""{"RequestId":"R","NextToken":"t{{{n}}}","NetworkInterfaceSets":{"NetworkInterfaceSet":[]}}"""));
        var ecs = new EcsCloud(TestCloud.Client(handler), TestCloud.Endpoints());

        var e = await Assert.ThrowsAsync<CloudException>(() => ecs.DescribeNetworkInterfacesAsync(new NetworkInterfaceQuery { InstanceId = "i-1" }, default));

        Assert.Equal(CloudErrorCodes.InvalidResponse, e.Code);
        Assert.Contains("goes on past 50 pages (a NextToken on every page)", e.Message);
        Assert.Equal(50, handler.Requests.Count);
    }
}

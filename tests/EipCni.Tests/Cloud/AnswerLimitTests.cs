using System.Net;
using EipCni.Cloud;
using EipCni.Http;

namespace EipCni.Tests.Cloud;

/// <summary>
/// What the cloud clients read of an answer: a cap per API (a small answer, a page, a listing), checked against the
/// Content-Length before reading and while reading; a shape cap (objects per answer); a page cap.
/// </summary>
public sealed class AnswerLimitTests
{
    private const long Huge = 200L * 1024 * 1024;
    private static readonly Uri Vpc = new("https://vpc-vpc.cn-hangzhou.aliyuncs.com");

    private static RpcCall Call(string action = "AllocateEipAddress", ListingBudget? listing = null) =>
        new(Vpc, action, "2016-04-28", new RpcParameters().Add("RegionId", "cn-hangzhou"), Mutating: false, Listing: listing);

    private static SyntheticContent HugeString(bool announce) => new("{\"RequestId\":\"R\",\"Message\":\"", "x", Huge, "\"}", announce);

    [Fact]
    public async Task An_announced_length_over_the_cap_is_refused_before_a_byte_is_read()
    {
        var body = HugeString(announce: true);
        var handler = new FakeHandler((_, _) => SyntheticContent.Answer(HttpStatusCode.OK, body));

        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default));

        Assert.Equal((CloudErrorCodes.InvalidResponse, 200), (e.Code, e.HttpStatus));
        Assert.Contains("announces 200 MiB (Content-Length), more than the 64 KiB allowed", e.Message);
        Assert.Equal(0, body.Read);
        Assert.Single(handler.Requests); // final: the same answer would come again
    }

    [Fact]
    public async Task An_answer_without_a_length_is_read_only_up_to_the_cap()
    {
        var body = HugeString(announce: false);
        var handler = new FakeHandler((_, _) => SyntheticContent.Answer(HttpStatusCode.OK, body));

        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default));

        Assert.Contains("larger than the 64 KiB allowed", e.Message);
        Assert.InRange(body.Read, 64 * 1024, 64 * 1024 + 1);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task An_oversized_error_answer_is_classified_by_its_status()
    {
        var body = HugeString(announce: false);
        var handler = new FakeHandler((_, n) => n == 1 ? SyntheticContent.Answer(HttpStatusCode.BadGateway, body) : FakeHandler.Ok());

        await TestCloud.Client(handler).CallAsync(Call(), CloudJsonContext.Default.CloudAck, default);

        Assert.Equal(2, handler.Requests.Count); // a 5xx is retried, whatever its body
        Assert.InRange(body.Read, 1, 64 * 1024 + 1);
    }

    [Fact]
    public async Task A_page_may_be_larger_than_a_small_answer()
    {
        // 3 MiB: over the 64 KiB of a small answer, under the 4 MiB of a page.
        var page = new SyntheticContent("{\"RequestId\":\"R\",\"TotalCount\":0,\"Description\":\"", "d", 3L * 1024 * 1024, "\"}", announce: false);
        var handler = new FakeHandler((_, _) => SyntheticContent.Answer(HttpStatusCode.OK, page));

        var r = await TestCloud.Client(handler).CallAsync(Call("DescribeEipAddresses", new ListingBudget()),
            CloudJsonContext.Default.DescribeEipAddressesResponse, default);

        Assert.Equal("R", r.RequestId);
    }

    [Fact]
    public async Task A_small_answer_holding_a_million_empty_objects_is_refused()
    {
        var body = new SyntheticContent("{\"RequestId\":\"R\",\"TotalCount\":1,\"EipAddresses\":{\"EipAddress\":[", "{},", 1_000_000, "{}]}}", announce: true);
        var handler = new FakeHandler((_, _) => SyntheticContent.Answer(HttpStatusCode.OK, body));

        var e = await Assert.ThrowsAsync<CloudException>(() => TestCloud.Client(handler).CallAsync(Call("DescribeEipAddresses", new ListingBudget()),
            CloudJsonContext.Default.DescribeEipAddressesResponse, default));

        Assert.Equal(CloudErrorCodes.InvalidResponse, e.Code);
        Assert.Contains($"more than {AnswerLimits.ListingContainers} JSON objects and arrays", e.Message);
    }

    [Fact]
    public void The_shape_counts_objects_arrays_and_the_largest_one()
    {
        Assert.Equal((4, 3), JsonShape.Measure("""{"a":[1,2,{"b":[]}],"c":"x"}"""u8));
        Assert.Equal((0, 0), JsonShape.Measure("not json"u8));
        Assert.Equal((1, 0), JsonShape.Measure("{}"u8));
    }
}

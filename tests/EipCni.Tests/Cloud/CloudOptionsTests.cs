using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

public sealed class CloudOptionsTests
{
    [Theory]
    [InlineData("https://vpc.cn-hangzhou.aliyuncs.com")]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://127.5.6.7")]
    [InlineData("http://[::1]:9000")]
    [InlineData("http://localhost:1234")]
    public void AcceptsHttpsAndLoopbackHttp(string url) =>
        new CloudOptions { StateDir = "/x", VpcEndpoint = new Uri(url) }.Validate();

    [Theory]
    [InlineData("http://vpc.cn-hangzhou.aliyuncs.com", "plain http")]
    [InlineData("http://10.0.0.1", "plain http")]
    [InlineData("http://100.100.100.200", "plain http")] // only the metadata endpoint may use it
    [InlineData("ftp://127.0.0.1", "http(s) URL")]
    [InlineData("https://vpc.example.test/path", "bare")]
    public void RefusesOtherEndpoints(string url, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => new CloudOptions { StateDir = "/x", VpcEndpoint = new Uri(url) }.Validate());
        Assert.Equal("endpoints.vpc", e.ParamName);
        Assert.Contains(why, e.Message);
        Assert.Contains(url.TrimEnd('/'), e.Message);
    }

    [Fact]
    public void MetadataMayUseItsWellKnownPlainAddressOnly()
    {
        new CloudOptions { StateDir = "/x" }.Validate(); // the default http://100.100.100.200
        var e = Assert.Throws<ArgumentException>(() => new CloudOptions { StateDir = "/x", MetadataEndpoint = new Uri("http://100.100.100.201") }.Validate());
        Assert.Equal("endpoints.metadata", e.ParamName);
    }

    [Fact]
    public void OtherChecks()
    {
        Assert.Equal("maxConcurrentCloudCalls", Assert.Throws<ArgumentException>(() => new CloudOptions { StateDir = "/x", MaxConcurrentCloudCalls = 0 }.Validate()).ParamName);
        Assert.Equal("access_key", Assert.Throws<ArgumentException>(() => new CloudOptions { StateDir = "/x", AccessKeyId = "a" }.Validate()).ParamName);
        Assert.Equal("regionId", Assert.Throws<ArgumentException>(() => new CloudOptions { StateDir = "/x", RegionId = "cn hangzhou" }.Validate()).ParamName);
    }

    [Fact]
    public async Task DefaultEndpointsAreTheRegionsVpcInternalOnes()
    {
        var resolved = await new CloudEndpoints(new CloudOptions { StateDir = "/x", RegionId = "cn-shanghai" }, new TestCloud.ThrowingMetadata()).GetAsync(default);
        Assert.Equal(new Uri("https://vpc-vpc.cn-shanghai.aliyuncs.com"), resolved.Vpc);
        Assert.Equal(new Uri("https://ecs-vpc.cn-shanghai.aliyuncs.com"), resolved.Ecs);
        Assert.Equal(new Uri("https://sts-vpc.cn-shanghai.aliyuncs.com"), resolved.Sts);
        Assert.Equal(new Uri("http://100.100.100.200"), new CloudOptions { StateDir = "/x" }.MetadataEndpoint);
        Assert.Equal(4, new CloudOptions { StateDir = "/x" }.MaxConcurrentCloudCalls);
        Assert.Equal(TimeSpan.FromSeconds(10), new CloudOptions { StateDir = "/x" }.RequestTimeout);
    }
}

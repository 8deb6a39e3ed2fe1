using System.Text;
using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

public sealed class AcsSignerTests
{
    /// <summary>One V3 vector, inputs and expected outputs as published (origins in docs/cloud-api.md §10).</summary>
    public sealed record Vector(
        string Name, string Method, string Path, (string, string)[] Query, (string, string)[] Headers,
        string? Body, string? PayloadHash, string AccessKeyId, string Secret,
        string? ExpectedCanonicalQuery, string ExpectedSignedHeaders, string? ExpectedHashedRequest, string ExpectedSignature)
    {
        public override string ToString() => Name;
    }

    private const string Empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public static TheoryData<Vector> Vectors => new()
    {
        new Vector("TV-V3-1 official RunInstances", "POST", "/",
            [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")],
            [("host", "ecs.cn-shanghai.aliyuncs.com"), ("x-acs-action", "RunInstances"), ("x-acs-version", "2014-05-26"),
             ("x-acs-date", "2023-10-26T10:22:32Z"), ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
             ("x-acs-content-sha256", Empty)],
            "", null, "YourAccessKeyId", "YourAccessKeySecret",
            "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
            "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"),
        new Vector("TV-V3-2 SDK edge cases", "", "",
            [("test", "ok"), ("empty", "")],
            [("x-acs-test", "http"), ("x-acs-TEST", "https")],
            null, "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23", "acesskey", "secret",
            "empty=&test=ok", "x-acs-test", null,
            "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"),
        new Vector("TV-V3-3 Associate with STS token", "POST", "/",
            [("RegionId", "cn-hangzhou"), ("AllocationId", "eip-bp1abc"), ("InstanceId", "eni-bp1xyz"),
             ("InstanceType", "NetworkInterface"), ("PrivateIpAddress", "192.168.1.10"),
             ("ClientToken", "c0ffee00-0000-4000-8000-000000000002"), ("Name", "a b*c~d")],
            [("host", "vpc.cn-hangzhou.aliyuncs.com"), ("x-acs-action", "AssociateEipAddress"), ("x-acs-version", "2016-04-28"),
             ("x-acs-date", "2024-05-01T12:00:00Z"), ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
             ("x-acs-content-sha256", Empty), ("x-acs-security-token", "CAIS+tok/en=~*"), ("accept", "application/json")],
            "", null, "testid", "testsecret",
            "AllocationId=eip-bp1abc&ClientToken=c0ffee00-0000-4000-8000-000000000002&InstanceId=eni-bp1xyz&InstanceType=NetworkInterface&Name=a%20b%2Ac~d&PrivateIpAddress=192.168.1.10&RegionId=cn-hangzhou",
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version",
            "cf1e7c41153c741b91453cb5c7b5220e6754e1570e337511d2deca0c95c9f2d0",
            "3e37399726e28b4c9bd4b5c7677d56390d7fc05397f1f9af6313fbc3fb549e0b"),
        new Vector("TV-V3-4 TagResources form body", "POST", "/",
            [],
            [("host", "vpc.cn-hangzhou.aliyuncs.com"), ("x-acs-action", "TagResources"), ("x-acs-version", "2016-04-28"),
             ("x-acs-date", "2024-05-01T12:00:00Z"), ("x-acs-signature-nonce", "0d8f5b8e2c0a4f7b9e6d1c3a5b7f9e1d"),
             ("x-acs-content-sha256", "028fdc6391c12ebda36bf2e83da89a1be46f0ec2cf5be459fa90cb8a14a877fe"),
             ("content-type", "application/x-www-form-urlencoded")],
            "RegionId=cn-hangzhou&ResourceType=EIP&ResourceId.1=eip-bp1abc&Tag.1.Key=owner&Tag.1.Value=cni", null, "testid", "testsecret",
            "",
            "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
            "c32ebcc34e916ac76b7b35b2dfb17691de32d7c90efc0fbd9726cf13c3d26632",
            "14b06d5ac7920a2e5ec443903c8588d2deb1137e525361dd1ab20f37019b7edb"),
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void ReproducesReferenceVector(Vector v)
    {
        var payloadHash = v.PayloadHash ?? AcsSigner.HashPayload(Encoding.UTF8.GetBytes(v.Body!));
        if (v.Body is not null)
        {
            // The body hash we compute must be the one the vector's x-acs-content-sha256 header states.
            var stated = v.Headers.Single(h => h.Item1 == "x-acs-content-sha256").Item2;
            Assert.Equal(stated, payloadHash);
        }

        var sig = AcsSigner.Sign(v.Method, v.Path, ToPairs(v.Query), ToPairs(v.Headers), payloadHash, v.AccessKeyId, v.Secret);

        if (v.ExpectedCanonicalQuery is not null) Assert.Equal(v.ExpectedCanonicalQuery, AcsSigner.CanonicalQuery(ToPairs(v.Query)));
        Assert.Equal(v.ExpectedSignedHeaders, sig.SignedHeaders);
        if (v.ExpectedHashedRequest is not null) Assert.Equal("ACS3-HMAC-SHA256\n" + v.ExpectedHashedRequest, sig.StringToSign);
        Assert.Equal(v.ExpectedSignature, sig.Signature);
        Assert.Equal($"ACS3-HMAC-SHA256 Credential={v.AccessKeyId},SignedHeaders={v.ExpectedSignedHeaders},Signature={v.ExpectedSignature}", sig.Authorization);
    }

    [Fact]
    public void OfficialVectorCanonicalRequestHasBlankLineBeforeSignedHeaders()
    {
        var v = (Vector)((IEnumerable<object[]>)Vectors).First()[0];
        var sig = AcsSigner.Sign(v.Method, v.Path, ToPairs(v.Query), ToPairs(v.Headers), Empty, v.AccessKeyId, v.Secret);
        Assert.Equal(
            "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n" +
            "host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\n" +
            "x-acs-content-sha256:" + Empty + "\nx-acs-date:2023-10-26T10:22:32Z\n" +
            "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\n" +
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" + Empty,
            sig.CanonicalRequest);
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("*", "%2A")]
    [InlineData("~", "~")]
    [InlineData("/", "%2F")]
    [InlineData("!'()", "%21%27%28%29")]
    [InlineData(":", "%3A")]
    [InlineData("+=", "%2B%3D")]
    [InlineData("中", "%E4%B8%AD")]
    public void EncodesPerRfc3986(string raw, string expected) => Assert.Equal(expected, AcsSigner.Encode(raw));

    [Fact]
    public void SortsQueryOrdinallyNotByCulture()
    {
        var q = AcsSigner.CanonicalQuery(ToPairs([("a", "1"), ("_x", "2"), ("B", "3"), ("Tag.2.Key", "k2"), ("Tag.10.Key", "k10"), ("Tag.1.Key", "k1")]));
        Assert.Equal("B=3&Tag.1.Key=k1&Tag.10.Key=k10&Tag.2.Key=k2&_x=2&a=1", q);
    }

    private static List<KeyValuePair<string, string>> ToPairs((string, string)[] items) =>
        items.Select(i => new KeyValuePair<string, string>(i.Item1, i.Item2)).ToList();
}

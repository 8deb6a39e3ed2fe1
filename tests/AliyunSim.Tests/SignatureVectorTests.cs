using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AliyunSim.Api;
using AliyunSim.Cloud;
using AliyunSim.Services;
using AliyunSim.Signing;

namespace AliyunSim.Tests;

/// <summary>Every signature vector of docs/cloud-api.md §10, through the simulator's verifier.</summary>
public class SignatureVectorTests
{
    static KeyValuePair<string, string> P(string k, string v) => new(k, v);

    static (Authenticator Auth, CredentialStore Creds) Verifier(string accessKeyId, string secret, string at)
    {
        var world = World.FromJson(new JsonObject { ["accessKeyId"] = accessKeyId, ["accessKeySecret"] = secret });
        var creds = new CredentialStore(world, new SimClock());
        var now = DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return (new Authenticator(creds, new NonceCache()) { Now = () => now }, creds);
    }

    static ApiException Rejects(Action call) => Assert.Throws<ApiException>(call);

    // ------------------------------------------------------------------ V2
    static readonly KeyValuePair<string, string>[] TvV2_1 =
    [
        P("AccessKeyId", "testid"), P("Action", "DescribeDedicatedHosts"), P("Format", "JSON"), P("RegionId", "cn-beijing"),
        P("SignatureMethod", "HMAC-SHA1"), P("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"), P("SignatureVersion", "1.0"),
        P("Timestamp", "2023-03-13T08:34:30Z"), P("Version", "2014-05-26"),
    ];

    [Fact]
    public void TvV2_1_OfficialExample_StringToSignAndSignature()
    {
        var sts = RpcSignatureV2.StringToSign("GET", TvV2_1);
        Assert.Equal("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDedicatedHosts%26Format%3DJSON%26RegionId%3Dcn-beijing%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dedb2b34af0af9a6d14deaf7c1a5315eb%26SignatureVersion%3D1.0%26Timestamp%3D2023-03-13T08%253A34%253A30Z%26Version%3D2014-05-26", sts);
        Assert.Equal("9NaGiOspFP5UPcwX8Iwt2YJXXuk=", RpcSignatureV2.Sign("testsecret", sts));
    }

    [Fact]
    public void TvV2_1_VerifierAcceptsTheSignedQuery_AndRejectsAWrongSecretOrReplay()
    {
        var query = TvV2_1.Append(P("Signature", "9NaGiOspFP5UPcwX8Iwt2YJXXuk=")).ToList();
        var request = new ReceivedRequest("GET", query, [], [], []);
        var (auth, _) = Verifier("testid", "testsecret", "2023-03-13T08:40:00Z");
        Assert.Equal(new Caller("testid", "V2"), auth.Authenticate(request, anonymousAllowed: false));
        Assert.Equal("SignatureNonceUsed", Rejects(() => auth.Authenticate(request, false)).Code);

        var (wrong, _) = Verifier("testid", "not-the-secret", "2023-03-13T08:40:00Z");
        var e = Rejects(() => wrong.Authenticate(request, false));
        Assert.Equal(("SignatureDoesNotMatch", 400), (e.Code, e.HttpStatus));

        // The method is signed: the same parameters sent as POST do not verify.
        var (post, _) = Verifier("testid", "testsecret", "2023-03-13T08:40:00Z");
        Assert.Equal("SignatureDoesNotMatch", Rejects(() => post.Authenticate(request with { Method = "POST" }, false)).Code);
    }

    [Theory]
    [InlineData("2023-03-13T09:05:31Z", false)] // 31 min 1 s after the timestamp
    [InlineData("2023-03-13T09:05:29Z", true)]
    [InlineData("2023-03-13T08:03:29Z", false)] // more than 31 min before it
    public void V2_ClockWindowIs31Minutes(string now, bool accepted)
    {
        var request = new ReceivedRequest("GET", TvV2_1.Append(P("Signature", "9NaGiOspFP5UPcwX8Iwt2YJXXuk=")).ToList(), [], [], []);
        var (auth, _) = Verifier("testid", "testsecret", now);
        if (accepted) auth.Authenticate(request, false);
        else Assert.Equal("InvalidTimeStamp.Expired", Rejects(() => auth.Authenticate(request, false)).Code);
    }

    [Fact]
    public void TvV2_2_SdkUnitTest_EmptyMethod()
    {
        var sts = RpcSignatureV2.StringToSign("", [P("test", "ok")]);
        Assert.Equal("&%2F&test%3Dok", sts);
        Assert.Equal("jHx/oHoHNrbVfhncHEvPdHXZwHU=", RpcSignatureV2.Sign("accessKeySecret", sts));
    }

    static readonly KeyValuePair<string, string>[] TvV2_3 =
    [
        P("Action", "AllocateEipAddress"), P("Format", "JSON"), P("Version", "2016-04-28"), P("AccessKeyId", "testid"),
        P("SignatureMethod", "HMAC-SHA1"), P("SignatureVersion", "1.0"), P("SignatureNonce", "8b3e3c2a-1f4d-4c7e-9a51-0f6f2d9c1a77"),
        P("Timestamp", "2024-05-01T12:00:00Z"), P("SecurityToken", "CAIS+tok/en=~*"), P("RegionId", "cn-hangzhou"), P("Bandwidth", "5"),
        P("InternetChargeType", "PayByTraffic"), P("Name", "pod eip/ns*a~b"), P("ClientToken", "c0ffee00-0000-4000-8000-000000000001"),
        P("Tag.1.Key", "k8s.io/pod"), P("Tag.1.Value", "default/nginx-0"), P("SecurityProtectionTypes.1", "AntiDDoS_Enhanced"),
        P("Description", "中文 test!'()"),
    ];

    [Fact]
    public void TvV2_3_CanonicalQueryAndSignature()
    {
        Assert.Equal("AccessKeyId=testid&Action=AllocateEipAddress&Bandwidth=5&ClientToken=c0ffee00-0000-4000-8000-000000000001&Description=%E4%B8%AD%E6%96%87%20test%21%27%28%29&Format=JSON&InternetChargeType=PayByTraffic&Name=pod%20eip%2Fns%2Aa~b&RegionId=cn-hangzhou&SecurityProtectionTypes.1=AntiDDoS_Enhanced&SecurityToken=CAIS%2Btok%2Fen%3D~%2A&SignatureMethod=HMAC-SHA1&SignatureNonce=8b3e3c2a-1f4d-4c7e-9a51-0f6f2d9c1a77&SignatureVersion=1.0&Tag.1.Key=k8s.io%2Fpod&Tag.1.Value=default%2Fnginx-0&Timestamp=2024-05-01T12%3A00%3A00Z&Version=2016-04-28",
            Rfc3986.CanonicalQuery(TvV2_3));
        Assert.Equal("w//FAKVSBcaY8yNxgTu21vYCzXY=", RpcSignatureV2.Sign("testsecret", RpcSignatureV2.StringToSign("POST", TvV2_3)));
    }

    [Fact]
    public void TvV2_3_VerifierAcceptsQueryPlusFormBody_WithTheStsToken()
    {
        // The common parameters in the query, the API parameters in a form body: both are signed.
        var common = new HashSet<string> { "Action", "Format", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "SecurityToken" };
        var query = TvV2_3.Where(p => common.Contains(p.Key)).Append(P("Signature", "w//FAKVSBcaY8yNxgTu21vYCzXY=")).ToList();
        var form = TvV2_3.Where(p => !common.Contains(p.Key)).ToList();
        var request = new ReceivedRequest("POST", query, form, [], []);
        var (auth, creds) = Verifier("LTAIother", "other", "2024-05-01T12:10:00Z");
        creds.Register(new TemporaryCredential("testid", "testsecret", "CAIS+tok/en=~*", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), "test"));
        Assert.Equal(new Caller("testid", "V2"), auth.Authenticate(request, false));

        // The same request with a different token for that AccessKey is refused before the signature is checked.
        var (auth2, creds2) = Verifier("LTAIother", "other", "2024-05-01T12:10:00Z");
        creds2.Register(new TemporaryCredential("testid", "testsecret", "CAIS+tok/en=~*", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), "test"));
        creds2.Register(new TemporaryCredential("STS.other", "s", "CAISother", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), "test"));
        var swapped = request with { Query = query.Select(p => p.Key == "SecurityToken" ? P("SecurityToken", "CAISother") : p).ToList() };
        Assert.Equal("InvalidSecurityToken.MismatchWithAccessKey", Rejects(() => auth2.Authenticate(swapped, false)).Code);
    }

    // ------------------------------------------------------------------ V3
    static ReceivedRequest V3Request(string action, string version, string date, string nonce, string host,
        IReadOnlyList<KeyValuePair<string, string>> query, string body, string accessKeyId, string signature, params KeyValuePair<string, string>[] extraHeaders)
    {
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var headers = new List<KeyValuePair<string, string>>
        {
            P("host", host), P("x-acs-action", action), P("x-acs-version", version), P("x-acs-date", date),
            P("x-acs-signature-nonce", nonce), P("x-acs-content-sha256", Acs3Signature.HexSha256(bodyBytes)),
        };
        headers.AddRange(extraHeaders);
        var signed = headers.Select(h => h.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
        headers.Add(P("Authorization", Acs3Signature.AuthorizationHeader(accessKeyId, signed, signature)));
        headers.Add(P("user-agent", "vector-test")); // not signed, like the SDK's
        return new ReceivedRequest("POST", query, [], headers, bodyBytes);
    }

    static readonly KeyValuePair<string, string>[] TvV3_1Query =
        [P("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), P("RegionId", "cn-shanghai")];

    [Fact]
    public void TvV3_1_OfficialExample_CanonicalRequestAndSignature()
    {
        var request = V3Request("RunInstances", "2014-05-26", "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d",
            "ecs.cn-shanghai.aliyuncs.com", TvV3_1Query, "", "YourAccessKeyId", "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
        string[] signedHeaders = ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"];
        var canonical = Acs3Signature.CanonicalRequest("POST", "/", TvV3_1Query, request.Headers, signedHeaders, Acs3Signature.EmptyPayloadHash);
        Assert.Equal(
            "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n" +
            "host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
            "x-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\n" +
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" +
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", canonical);
        Assert.Equal("ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259", Acs3Signature.StringToSign(canonical));
        Assert.Equal("06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
            Acs3Signature.Sign("YourAccessKeySecret", Acs3Signature.StringToSign(canonical)));
        Assert.Equal("ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
            request.Header("Authorization"));
    }

    [Fact]
    public void TvV3_1_VerifierAccepts_ThenRejectsReplayStaleDateAndWrongSecret()
    {
        ReceivedRequest Make(string date = "2023-10-26T10:22:32Z") => V3Request("RunInstances", "2014-05-26", date, "3156853299f313e23d1673dc12e1703d",
            "ecs.cn-shanghai.aliyuncs.com", TvV3_1Query, "", "YourAccessKeyId", "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
        var (auth, _) = Verifier("YourAccessKeyId", "YourAccessKeySecret", "2023-10-26T10:36:00Z");
        Assert.Equal(new Caller("YourAccessKeyId", "V3"), auth.Authenticate(Make(), false));
        Assert.Equal("SignatureNonceUsed", Rejects(() => auth.Authenticate(Make(), false)).Code);

        var (late, _) = Verifier("YourAccessKeyId", "YourAccessKeySecret", "2023-10-26T10:37:33Z"); // 15 min 1 s later
        Assert.Equal("InvalidTimeStamp.Expired", Rejects(() => late.Authenticate(Make(), false)).Code);

        var (wrong, _) = Verifier("YourAccessKeyId", "wrong", "2023-10-26T10:30:00Z");
        Assert.Equal(("SignatureDoesNotMatch", 400), (Rejects(() => wrong.Authenticate(Make(), false)) is var e ? (e.Code, e.HttpStatus) : default));

        var (unknown, _) = Verifier("LTAIsomeoneelse", "x", "2023-10-26T10:30:00Z");
        Assert.Equal(("InvalidAccessKeyId.NotFound", 404), (Rejects(() => unknown.Authenticate(Make(), false)) is var u ? (u.Code, u.HttpStatus) : default));
    }

    [Fact]
    public void TvV3_1_AnUnsignedAcsHeaderOrAChangedQueryIsRejected()
    {
        var (auth, _) = Verifier("YourAccessKeyId", "YourAccessKeySecret", "2023-10-26T10:30:00Z");
        var request = V3Request("RunInstances", "2014-05-26", "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d",
            "ecs.cn-shanghai.aliyuncs.com", TvV3_1Query, "", "YourAccessKeyId", "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
        var smuggled = request with { Headers = request.Headers.Append(P("x-acs-security-token", "CAISx")).ToList() };
        Assert.Equal("IncompleteSignature", Rejects(() => auth.Authenticate(smuggled, false)).Code);
        var changed = request with { Query = [P("ImageId", "other"), P("RegionId", "cn-shanghai")] };
        Assert.Equal("SignatureDoesNotMatch", Rejects(() => auth.Authenticate(changed, false)).Code);
    }

    [Fact]
    public void TvV3_2_SdkUnitTest_RepeatedHeaderAndEmptyQueryValue()
    {
        KeyValuePair<string, string>[] query = [P("test", "ok"), P("empty", "")];
        KeyValuePair<string, string>[] headers = [P("x-acs-test", "http"), P("x-acs-TEST", "https")];
        var canonical = Acs3Signature.CanonicalRequest("", "", query, headers, ["x-acs-test"], "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23");
        Assert.Contains("\nempty=&test=ok\n", canonical);
        Assert.Contains("\nx-acs-test:http,https\n", canonical);
        var signature = Acs3Signature.Sign("secret", Acs3Signature.StringToSign(canonical));
        Assert.Equal("ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3",
            Acs3Signature.AuthorizationHeader("acesskey", ["x-acs-test"], signature));
    }

    static readonly KeyValuePair<string, string>[] TvV3_3Query =
    [
        P("RegionId", "cn-hangzhou"), P("AllocationId", "eip-bp1abc"), P("InstanceId", "eni-bp1xyz"), P("InstanceType", "NetworkInterface"),
        P("PrivateIpAddress", "192.168.1.10"), P("ClientToken", "c0ffee00-0000-4000-8000-000000000002"), P("Name", "a b*c~d"),
    ];

    static ReceivedRequest TvV3_3() => V3Request("AssociateEipAddress", "2016-04-28", "2024-05-01T12:00:00Z", "3156853299f313e23d1673dc12e1703d",
        "vpc.cn-hangzhou.aliyuncs.com", TvV3_3Query, "", "testid", "3e37399726e28b4c9bd4b5c7677d56390d7fc05397f1f9af6313fbc3fb549e0b",
        P("x-acs-security-token", "CAIS+tok/en=~*"));

    [Fact]
    public void TvV3_3_StsToken_CanonicalQueryHashAndVerification()
    {
        var request = TvV3_3();
        Assert.Equal("AllocationId=eip-bp1abc&ClientToken=c0ffee00-0000-4000-8000-000000000002&InstanceId=eni-bp1xyz&InstanceType=NetworkInterface&Name=a%20b%2Ac~d&PrivateIpAddress=192.168.1.10&RegionId=cn-hangzhou",
            Rfc3986.CanonicalQuery(TvV3_3Query));
        string[] signedHeaders = ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-security-token", "x-acs-signature-nonce", "x-acs-version"];
        var canonical = Acs3Signature.CanonicalRequest("POST", "/", TvV3_3Query, request.Headers, signedHeaders, Acs3Signature.EmptyPayloadHash);
        Assert.Equal("ACS3-HMAC-SHA256\ncf1e7c41153c741b91453cb5c7b5220e6754e1570e337511d2deca0c95c9f2d0", Acs3Signature.StringToSign(canonical));

        var (auth, creds) = Verifier("LTAIother", "other", "2024-05-01T12:05:00Z");
        creds.Register(new TemporaryCredential("testid", "testsecret", "CAIS+tok/en=~*", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), "test"));
        Assert.Equal(new Caller("testid", "V3"), auth.Authenticate(request, false));
    }

    [Fact]
    public void TvV3_3_ExpiredUnknownOrMissingTokensGetTheirDocumentedCodes()
    {
        var (expired, c1) = Verifier("LTAIother", "other", "2024-05-01T12:05:00Z");
        c1.Register(new TemporaryCredential("testid", "testsecret", "CAIS+tok/en=~*", DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddSeconds(-1), "test"));
        Assert.Equal("InvalidSecurityToken.Expired", Rejects(() => expired.Authenticate(TvV3_3(), false)).Code);

        var (unknown, _) = Verifier("LTAIother", "other", "2024-05-01T12:05:00Z");
        Assert.Equal("InvalidSecurityToken.Malformed", Rejects(() => unknown.Authenticate(TvV3_3(), false)).Code);

        var (mismatch, c3) = Verifier("LTAIother", "other", "2024-05-01T12:05:00Z");
        c3.Register(new TemporaryCredential("STS.someoneelse", "x", "CAIS+tok/en=~*", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), "test"));
        Assert.Equal("InvalidSecurityToken.MismatchWithAccessKey", Rejects(() => mismatch.Authenticate(TvV3_3(), false)).Code);
    }

    const string TvV3_4Body = "RegionId=cn-hangzhou&ResourceType=EIP&ResourceId.1=eip-bp1abc&Tag.1.Key=owner&Tag.1.Value=cni";

    static ReceivedRequest TvV3_4(string body = TvV3_4Body)
    {
        var request = V3Request("TagResources", "2016-04-28", "2024-05-01T12:00:00Z", "0d8f5b8e2c0a4f7b9e6d1c3a5b7f9e1d",
            "vpc.cn-hangzhou.aliyuncs.com", [], TvV3_4Body, "testid", "14b06d5ac7920a2e5ec443903c8588d2deb1137e525361dd1ab20f37019b7edb",
            P("content-type", "application/x-www-form-urlencoded"));
        return request with { Body = Encoding.UTF8.GetBytes(body) };
    }

    [Fact]
    public void TvV3_4_FormBody_PayloadHashAndVerification()
    {
        var request = TvV3_4();
        Assert.Equal("028fdc6391c12ebda36bf2e83da89a1be46f0ec2cf5be459fa90cb8a14a877fe", request.Header("x-acs-content-sha256"));
        string[] signedHeaders = ["content-type", "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"];
        var canonical = Acs3Signature.CanonicalRequest("POST", "/", [], request.Headers, signedHeaders, "028fdc6391c12ebda36bf2e83da89a1be46f0ec2cf5be459fa90cb8a14a877fe");
        Assert.Equal("ACS3-HMAC-SHA256\nc32ebcc34e916ac76b7b35b2dfb17691de32d7c90efc0fbd9726cf13c3d26632", Acs3Signature.StringToSign(canonical));

        var (auth, _) = Verifier("testid", "testsecret", "2024-05-01T12:00:30Z");
        Assert.Equal(new Caller("testid", "V3"), auth.Authenticate(request, false));
    }

    [Fact]
    public void TvV3_4_ABodyThatDoesNotMatchItsHashIsRejected()
    {
        var (auth, _) = Verifier("testid", "testsecret", "2024-05-01T12:00:30Z");
        var tampered = TvV3_4(TvV3_4Body.Replace("owner", "admin", StringComparison.Ordinal));
        var e = Rejects(() => auth.Authenticate(tampered, false));
        Assert.Equal(("SignatureDoesNotMatch", 400), (e.Code, e.HttpStatus));
        Assert.Contains("x-acs-content-sha256", e.Message);
    }

    [Fact]
    public void AnUnsignedRequestIsOnlyAcceptedWhereAnonymousCallsAreAllowed()
    {
        var (auth, _) = Verifier("testid", "testsecret", "2024-05-01T12:00:30Z");
        var request = new ReceivedRequest("POST", [P("Action", "AssumeRoleWithOIDC")], [P("RoleArn", "x")], [], []);
        Assert.Equal(new Caller(null, "anonymous"), auth.Authenticate(request, anonymousAllowed: true));
        Assert.Equal("IncompleteSignature", Rejects(() => auth.Authenticate(request, anonymousAllowed: false)).Code);
    }
}

using System.Globalization;
using AliyunSim.Services;
using AliyunSim.Signing;

namespace AliyunSim.Api;

/// <summary>What the simulator knows about one received OpenAPI request, independent of ASP.NET Core.</summary>
public sealed record ReceivedRequest(
    string Method,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Form,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body)
{
    public string? Header(string name)
    {
        var values = Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
        return values.Count == 0 ? null : string.Join(',', values);
    }

    /// <summary>Query and form parameters merged (a form value wins on a clash).</summary>
    public Dictionary<string, string> MergedParams()
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in Query) all[k] = v;
        foreach (var (k, v) in Form) all[k] = v;
        return all;
    }
}

/// <summary>The outcome of authentication: the AccessKey used (null when anonymous) and the signature version.</summary>
public sealed record Caller(string? AccessKeyId, string SignatureVersion);

/// <summary>
/// Verifies V2 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256) requests with the simulator's own code, in the order:
/// shape → clock window → AccessKey and STS token → signature → nonce replay (docs/cloud-api.md §2 and §11).
/// </summary>
public sealed class Authenticator(CredentialStore credentials, NonceCache nonces)
{
    public static readonly TimeSpan V2Window = TimeSpan.FromMinutes(31);
    public static readonly TimeSpan V3Window = TimeSpan.FromMinutes(15);

    /// <summary>The signature time window uses the real clock: /_sim/clock only ages credentials and tokens.</summary>
    public Func<DateTimeOffset> Now { get; init; } = () => DateTimeOffset.UtcNow;

    public Caller Authenticate(ReceivedRequest request, bool anonymousAllowed)
    {
        var authorization = request.Header("Authorization");
        var merged = request.MergedParams();
        if (authorization is not null && authorization.StartsWith("ACS3-", StringComparison.Ordinal)) return VerifyV3(request, authorization);
        if (merged.ContainsKey("Signature")) return VerifyV2(request, merged);
        if (anonymousAllowed) return new Caller(null, "anonymous");
        throw Errors.IncompleteSignature("the request carries neither an ACS3 Authorization header nor a Signature parameter");
    }

    Caller VerifyV2(ReceivedRequest request, Dictionary<string, string> p)
    {
        string Need(string name) => p.TryGetValue(name, out var v) && v.Length > 0 ? v : throw Errors.Missing(name);
        var accessKeyId = Need("AccessKeyId");
        var method = Need("SignatureMethod");
        if (method != "HMAC-SHA1") throw Errors.IncompleteSignature($"SignatureMethod '{method}' is not HMAC-SHA1");
        var version = Need("SignatureVersion");
        if (version != "1.0") throw Errors.IncompleteSignature($"SignatureVersion '{version}' is not 1.0");
        var nonce = Need("SignatureNonce");
        CheckClock(Need("Timestamp"), V2Window);
        var secret = credentials.SecretFor(accessKeyId, p.TryGetValue("SecurityToken", out var t) && t.Length > 0 ? t : null);
        // Every parameter, from the query and from a form body, is signed.
        var stringToSign = RpcSignatureV2.StringToSign(request.Method, request.Query.Concat(request.Form));
        if (!RpcSignatureV2.Matches(RpcSignatureV2.Sign(secret, stringToSign), p["Signature"]))
            throw Errors.SignatureDoesNotMatch(stringToSign);
        if (!nonces.TryUse(accessKeyId, nonce, V2Window)) throw Errors.NonceUsed();
        return new Caller(accessKeyId, "V2");
    }

    Caller VerifyV3(ReceivedRequest request, string authorization)
    {
        var auth = Acs3Signature.ParseAuthorization(authorization)
            ?? throw Errors.IncompleteSignature("the Authorization header is not 'ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..'");
        foreach (var name in new[] { "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256" })
            if (string.IsNullOrEmpty(request.Header(name))) throw Errors.Missing(name);
        var signed = auth.SignedHeaders.ToHashSet(StringComparer.Ordinal);
        var mustSign = request.Headers.Select(h => h.Key.ToLowerInvariant())
            .Where(n => n.StartsWith("x-acs-", StringComparison.Ordinal) || n == "host" || n == "content-type").Distinct();
        foreach (var name in mustSign)
            if (!signed.Contains(name)) throw Errors.IncompleteSignature($"header '{name}' is not in SignedHeaders");
        foreach (var name in auth.SignedHeaders)
            if (request.Header(name) is null) throw Errors.IncompleteSignature($"signed header '{name}' is not in the request");
        CheckClock(request.Header("x-acs-date")!, V3Window);
        var secret = credentials.SecretFor(auth.AccessKeyId, request.Header("x-acs-security-token"));
        var payloadHash = request.Header("x-acs-content-sha256")!;
        var actualHash = Acs3Signature.HexSha256(request.Body);
        if (!string.Equals(payloadHash, actualHash, StringComparison.Ordinal))
            throw new ApiException(400, "SignatureDoesNotMatch", $"x-acs-content-sha256 does not match the request body (body hash {actualHash}).");
        var canonical = Acs3Signature.CanonicalRequest(request.Method, "/", request.Query, request.Headers, auth.SignedHeaders, actualHash);
        var stringToSign = Acs3Signature.StringToSign(canonical);
        if (!RpcSignatureV2.Matches(Acs3Signature.Sign(secret, stringToSign), auth.Signature))
            throw Errors.SignatureDoesNotMatch(stringToSign);
        if (!nonces.TryUse(auth.AccessKeyId, request.Header("x-acs-signature-nonce")!, V3Window)) throw Errors.NonceUsed();
        return new Caller(auth.AccessKeyId, "V3");
    }

    void CheckClock(string value, TimeSpan window)
    {
        if (!DateTimeOffset.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"], CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            throw Errors.TimestampFormat(value);
        if ((Now() - at).Duration() > window) throw Errors.TimestampExpired(value);
    }
}

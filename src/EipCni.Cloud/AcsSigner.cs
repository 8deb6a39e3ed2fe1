using System.Security.Cryptography;
using System.Text;

namespace EipCni.Cloud;

/// <summary>Alibaba Cloud request signature V3 (ACS3-HMAC-SHA256), see docs/cloud-api.md §2.</summary>
public static class AcsSigner
{
    public const string Algorithm = "ACS3-HMAC-SHA256";

    /// <summary>Lowercase hex SHA-256 of an empty body.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>RFC 3986 percent-encoding: only A–Z a–z 0–9 - _ . ~ stay; uppercase hex (space is %20, * is %2A).</summary>
    public static string Encode(string value) => Uri.EscapeDataString(value);

    /// <summary>Lowercase hex SHA-256 of <paramref name="payload"/>.</summary>
    public static string HashPayload(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>Sorted (ordinal, by key then value), encoded <c>k=v</c> pairs joined with <c>&amp;</c>; <c>k=</c> for an empty value.</summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> query)
    {
        var pairs = query.Select(p => (Key: Encode(p.Key), Value: Encode(p.Value))).ToList();
        pairs.Sort((a, b) =>
        {
            var byKey = string.CompareOrdinal(a.Key, b.Key);
            return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
        });
        var sb = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(key).Append('=').Append(value);
        }
        return sb.ToString();
    }

    /// <summary>Signs one request. Only <c>host</c>, <c>content-type</c> and <c>x-acs-*</c> headers are signed; others are ignored here.</summary>
    public static AcsSignature Sign(string method, string path, IEnumerable<KeyValuePair<string, string>> query,
        IEnumerable<KeyValuePair<string, string>> headers, string payloadHash, string accessKeyId, string accessKeySecret)
    {
        var signed = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var lower = name.ToLowerInvariant();
            if (lower != "host" && lower != "content-type" && !lower.StartsWith("x-acs-", StringComparison.Ordinal)) continue;
            if (!signed.TryGetValue(lower, out var values)) signed[lower] = values = [];
            values.Add(value.Trim());
        }

        var canonicalHeaders = new StringBuilder();
        foreach (var (name, values) in signed)
        {
            values.Sort(StringComparer.Ordinal);
            canonicalHeaders.Append(name).Append(':').Append(string.Join(',', values)).Append('\n');
        }
        var signedHeaders = string.Join(';', signed.Keys);

        var canonicalRequest = string.Join('\n',
            method.ToUpperInvariant(),
            string.IsNullOrEmpty(path) ? "/" : path,
            CanonicalQuery(query),
            canonicalHeaders.ToString(),
            signedHeaders,
            payloadHash);
        var stringToSign = Algorithm + "\n" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)));
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessKeySecret), Encoding.UTF8.GetBytes(stringToSign)));
        var authorization = $"{Algorithm} Credential={accessKeyId},SignedHeaders={signedHeaders},Signature={signature}";
        return new AcsSignature(canonicalRequest, signedHeaders, stringToSign, signature, authorization);
    }
}

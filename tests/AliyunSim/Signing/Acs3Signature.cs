using System.Security.Cryptography;
using System.Text;

namespace AliyunSim.Signing;

/// <summary>The V3 signature (ACS3-HMAC-SHA256): canonical request, string to sign, and the Authorization header.</summary>
public static class Acs3Signature
{
    public const string Algorithm = "ACS3-HMAC-SHA256";
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>
    /// Builds the canonical request. <paramref name="headers"/> are the received headers (a name may repeat);
    /// only the names listed in <paramref name="signedHeaders"/> (lowercase) take part.
    /// </summary>
    public static string CanonicalRequest(string method, string path, IEnumerable<KeyValuePair<string, string>> query,
        IEnumerable<KeyValuePair<string, string>> headers, IReadOnlyList<string> signedHeaders, string payloadHash)
    {
        var wanted = new HashSet<string>(signedHeaders, StringComparer.Ordinal);
        var canonicalHeaders = headers
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: h.Value.Trim()))
            .Where(h => wanted.Contains(h.Name))
            .GroupBy(h => h.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key + ":" + string.Join(',', g.Select(h => h.Value).OrderBy(v => v, StringComparer.Ordinal)) + "\n");
        var sb = new StringBuilder();
        sb.Append(method).Append('\n');
        sb.Append(string.IsNullOrEmpty(path) ? "/" : path).Append('\n');
        sb.Append(Rfc3986.CanonicalQuery(query)).Append('\n');
        foreach (var line in canonicalHeaders) sb.Append(line);
        sb.Append('\n');
        sb.Append(string.Join(';', signedHeaders)).Append('\n');
        sb.Append(payloadHash);
        return sb.ToString();
    }

    public static string HexSha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string StringToSign(string canonicalRequest) =>
        Algorithm + "\n" + HexSha256(Encoding.UTF8.GetBytes(canonicalRequest));

    public static string Sign(string accessKeySecret, string stringToSign)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(accessKeySecret));
        return Convert.ToHexStringLower(hmac.ComputeHash(Encoding.UTF8.GetBytes(stringToSign)));
    }

    public static string AuthorizationHeader(string accessKeyId, IReadOnlyList<string> signedHeaders, string signature) =>
        $"{Algorithm} Credential={accessKeyId},SignedHeaders={string.Join(';', signedHeaders)},Signature={signature}";

    /// <summary>Parses <c>ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..</c>; null when it is not that shape.</summary>
    public static ParsedAuthorization? ParseAuthorization(string header)
    {
        if (!header.StartsWith(Algorithm + " ", StringComparison.Ordinal)) return null;
        string? credential = null, signed = null, signature = null;
        foreach (var part in header[(Algorithm.Length + 1)..].Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) return null;
            var key = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            switch (key)
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signed = value; break;
                case "Signature": signature = value; break;
                default: return null;
            }
        }
        if (string.IsNullOrEmpty(credential) || string.IsNullOrEmpty(signed) || string.IsNullOrEmpty(signature)) return null;
        return new ParsedAuthorization(credential, signed.Split(';'), signature);
    }
}

/// <summary>The three fields of a V3 Authorization header.</summary>
public sealed record ParsedAuthorization(string AccessKeyId, IReadOnlyList<string> SignedHeaders, string Signature);

using System.Security.Cryptography;
using System.Text;

namespace AliyunSim.Signing;

/// <summary>The V2 RPC signature (HMAC-SHA1, SignatureVersion 1.0), computed from the received parameters.</summary>
public static class RpcSignatureV2
{
    /// <summary>Every parameter except <c>Signature</c> is signed; the method is part of the string.</summary>
    public static string StringToSign(string method, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var canonical = Rfc3986.CanonicalQuery(parameters.Where(p => p.Key != "Signature"));
        return method + "&" + Rfc3986.Encode("/") + "&" + Rfc3986.Encode(canonical);
    }

    public static string Sign(string accessKeySecret, string stringToSign)
    {
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(accessKeySecret + "&"));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(stringToSign)));
    }

    public static bool Matches(string expected, string received) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(received));
}

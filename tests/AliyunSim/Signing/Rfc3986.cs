using System.Text;

namespace AliyunSim.Signing;

/// <summary>Percent-encoding as both Alibaba Cloud signatures define it: RFC 3986, unreserved set only, uppercase hex.</summary>
public static class Rfc3986
{
    public static string Encode(string value)
    {
        // Written out by hand (not Uri.EscapeDataString) so the simulator does not share the product's choice of primitive.
        var bytes = Encoding.UTF8.GetBytes(value);
        var sb = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_' || b == '.' || b == '~')
                sb.Append((char)b);
            else
                sb.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
        }
        return sb.ToString();
    }

    /// <summary>Sorted (ordinal, by key) and encoded <c>k=v&amp;...</c>, the canonical form both signature versions use.</summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join('&', pairs
            .Select(p => (Key: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));
}

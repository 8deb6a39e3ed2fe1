using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace EipCni.Cni;

/// <summary>Reads the previous plugin's result: the pod's IPv4 on CNI_IFNAME, and the result printed back unchanged.</summary>
public static class PrevResult
{
    /// <summary>
    /// Picks the IPv4 of <paramref name="ifName"/>. An IP whose interface index names another interface is skipped;
    /// an IP without an index (or -1) is accepted. `sandbox` is never required: Terway omits it.
    /// Returns null when the result has no IPv4 for the interface. Malformed shapes are code 7 naming the field.
    /// </summary>
    public static IPAddress? PodIPv4(JsonElement prevResult, string ifName)
    {
        var names = new List<string?>();
        if (prevResult.TryGetProperty("interfaces", out var ifaces) && ifaces.ValueKind != JsonValueKind.Null)
        {
            if (ifaces.ValueKind != JsonValueKind.Array) throw JsonFields.WrongType("prevResult.interfaces", ifaces, "an array");
            var n = 0;
            foreach (var i in ifaces.EnumerateArray())
            {
                if (i.ValueKind != JsonValueKind.Object) throw JsonFields.WrongType($"prevResult.interfaces[{n}]", i, "an object");
                names.Add(JsonFields.OptionalString(i, "name", $"prevResult.interfaces[{n}]."));
                n++;
            }
        }
        if (!prevResult.TryGetProperty("ips", out var ips) || ips.ValueKind == JsonValueKind.Null) return null;
        if (ips.ValueKind != JsonValueKind.Array) throw JsonFields.WrongType("prevResult.ips", ips, "an array");

        IPAddress? unindexed = null;
        var k = 0;
        foreach (var ip in ips.EnumerateArray())
        {
            var at = $"prevResult.ips[{k++}]";
            if (ip.ValueKind != JsonValueKind.Object) throw JsonFields.WrongType(at, ip, "an object");
            var address = JsonFields.OptionalString(ip, "address", at + ".");
            if (string.IsNullOrEmpty(address) || !IPNetwork.TryParse(address, out _) || !IPAddress.TryParse(address.Split('/')[0], out var parsed))
                throw new CniException(CniCode.InvalidConfig, $"invalid value for \"{at}.address\"",
                    $"\"{at}.address\" is {CniInvocation.Printable(address ?? "")}; expected an address in CIDR form such as 10.0.0.5/24");
            if (parsed.AddressFamily != AddressFamily.InterNetwork) continue;

            int? index = null;
            if (ip.TryGetProperty("interface", out var idx) && idx.ValueKind != JsonValueKind.Null)
            {
                if (idx.ValueKind != JsonValueKind.Number || !idx.TryGetInt32(out var v))
                    throw JsonFields.WrongType(at + ".interface", idx, "an integer index into prevResult.interfaces");
                index = v;
            }
            if (index is int i2 && i2 >= 0 && i2 < names.Count)
            {
                if (names[i2] == ifName) return parsed;
                continue; // belongs to another interface (the host side of a veth, say)
            }
            unindexed ??= parsed;
        }
        return unindexed;
    }

    /// <summary>Writes the result: prevResult unchanged except that its cniVersion is the config's.</summary>
    public static void WriteWithVersion(Utf8JsonWriter w, JsonElement prevResult, string cniVersion)
    {
        w.WriteStartObject();
        w.WriteString("cniVersion", cniVersion);
        foreach (var p in prevResult.EnumerateObject())
        {
            if (p.NameEquals("cniVersion")) continue;
            p.WriteTo(w);
        }
        w.WriteEndObject();
    }
}

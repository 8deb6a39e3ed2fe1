using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace EipCni.Cni;

/// <summary>Reads the previous plugin's result: the pod's IPv4 on CNI_IFNAME, and the result printed back unchanged.</summary>
public static class PrevResult
{
    /// <summary>
    /// Validates the whole result, then picks the IPv4 of <paramref name="ifName"/>. An IP whose interface index names
    /// another interface is skipped; an IP without an index (or -1) is accepted. `sandbox` is never required: Terway
    /// omits it. Returns null when the result has no IPv4 for the interface.
    /// </summary>
    /// <remarks>
    /// Every entry is checked, not only those up to the first match, so the verdict does not depend on the order of
    /// the entries: the JSON types, each interface index within <c>interfaces</c>, each address and gateway read as Go
    /// reads them (no leading zeros: <c>10.0.1.014</c> is refused, not read as octal), and each route. A malformed
    /// result is code 7 naming the field path (<c>prevResult.ips[1].interface</c>).
    /// </remarks>
    public static IPAddress? PodIPv4(JsonElement prevResult, string ifName)
    {
        var names = ReadInterfaces(prevResult);
        IPAddress? unindexed = null, indexed = null;
        if (prevResult.TryGetProperty("ips", out var ips) && ips.ValueKind != JsonValueKind.Null)
        {
            if (ips.ValueKind != JsonValueKind.Array) throw JsonFields.WrongType("prevResult.ips", ips, "an array");
            var k = 0;
            foreach (var ip in ips.EnumerateArray())
            {
                var (address, index) = ReadIp(ip, k++, names.Count);
                if (address.AddressFamily != AddressFamily.InterNetwork) continue;
                if (index >= 0)
                {
                    // An index naming another interface (the host side of a veth, say) is not the pod's.
                    if (names[index] == ifName) indexed ??= address;
                }
                else
                {
                    unindexed ??= address;
                }
            }
        }
        ReadRoutes(prevResult);
        return indexed ?? unindexed;
    }

    private static List<string?> ReadInterfaces(JsonElement prevResult)
    {
        var names = new List<string?>();
        if (!prevResult.TryGetProperty("interfaces", out var ifaces) || ifaces.ValueKind == JsonValueKind.Null) return names;
        if (ifaces.ValueKind != JsonValueKind.Array) throw JsonFields.WrongType("prevResult.interfaces", ifaces, "an array");
        var n = 0;
        foreach (var i in ifaces.EnumerateArray())
        {
            if (i.ValueKind != JsonValueKind.Object) throw JsonFields.WrongType($"prevResult.interfaces[{n}]", i, "an object");
            names.Add(JsonFields.OptionalString(i, "name", $"prevResult.interfaces[{n}]."));
            JsonFields.OptionalString(i, "mac", $"prevResult.interfaces[{n}].");
            JsonFields.OptionalString(i, "sandbox", $"prevResult.interfaces[{n}].");
            n++;
        }
        return names;
    }

    /// <summary>One entry of <c>ips</c>: its address and interface index (-1 for none). Paths are built only for an error.</summary>
    private static (IPAddress Address, int Index) ReadIp(JsonElement ip, int k, int interfaces)
    {
        if (ip.ValueKind != JsonValueKind.Object) throw JsonFields.WrongType($"prevResult.ips[{k}]", ip, "an object");

        if (!ip.TryGetProperty("address", out var a) || a.ValueKind != JsonValueKind.String
            || !IpText.TryParseCidr(a.GetString(), out var address, out _))
            throw Invalid($"prevResult.ips[{k}].address", a, "an address in CIDR form such as 10.0.0.5/24 (decimal, no leading zeros)");

        var index = -1;
        if (ip.TryGetProperty("interface", out var idx) && idx.ValueKind != JsonValueKind.Null)
        {
            if (idx.ValueKind != JsonValueKind.Number || !idx.TryGetInt32(out index) || index < -1 || index >= interfaces)
                throw JsonFields.WrongType($"prevResult.ips[{k}].interface", idx,
                    interfaces == 0 ? "no index: prevResult.interfaces is empty" : $"an index into prevResult.interfaces, 0 to {interfaces - 1}");
        }

        if (ip.TryGetProperty("gateway", out var gw) && gw.ValueKind != JsonValueKind.Null
            && (gw.ValueKind != JsonValueKind.String || !IpText.TryParse(gw.GetString(), out _)))
            throw Invalid($"prevResult.ips[{k}].gateway", gw, "an IP address such as 10.0.0.1 (decimal, no leading zeros)");

        if (ip.TryGetProperty("version", out var v) && v.ValueKind != JsonValueKind.Null && v.ValueKind != JsonValueKind.String)
            throw JsonFields.WrongType($"prevResult.ips[{k}].version", v, "\"4\" or \"6\"");
        return (address, index);
    }

    private static void ReadRoutes(JsonElement prevResult)
    {
        if (!prevResult.TryGetProperty("routes", out var routes) || routes.ValueKind == JsonValueKind.Null) return;
        if (routes.ValueKind != JsonValueKind.Array) throw JsonFields.WrongType("prevResult.routes", routes, "an array");
        var k = 0;
        foreach (var route in routes.EnumerateArray())
        {
            if (route.ValueKind != JsonValueKind.Object) throw JsonFields.WrongType($"prevResult.routes[{k}]", route, "an object");
            // As libcni: both may be absent, but what is there must parse.
            if (route.TryGetProperty("dst", out var dst) && dst.ValueKind != JsonValueKind.Null
                && (dst.ValueKind != JsonValueKind.String || !IpText.TryParseCidr(dst.GetString(), out _, out _)))
                throw Invalid($"prevResult.routes[{k}].dst", dst, "a destination in CIDR form such as 0.0.0.0/0");
            if (route.TryGetProperty("gw", out var gw) && gw.ValueKind != JsonValueKind.Null
                && (gw.ValueKind != JsonValueKind.String || !IpText.TryParse(gw.GetString(), out _)))
                throw Invalid($"prevResult.routes[{k}].gw", gw, "an IP address such as 10.0.0.1");
            k++;
        }
    }

    /// <summary>Code 7 naming the field and its (printable, shortened) value.</summary>
    private static CniException Invalid(string path, JsonElement value, string expected) =>
        new(CniCode.InvalidConfig, $"invalid value for \"{path}\"",
            $"\"{path}\" is {(value.ValueKind == JsonValueKind.Undefined ? "missing" : value.ValueKind == JsonValueKind.String ? CniInvocation.Printable(value.GetString() ?? "") : JsonFields.Describe(value))}; expected {expected}");

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

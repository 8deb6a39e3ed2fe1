using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AliyunSim.Api;

namespace AliyunSim.Cloud;

public sealed partial class CloudState
{
    /// <summary>ECS DescribeNetworkInterfaces over the world's ENIs (docs/cloud-api.md §3; tags are TagKey/TagValue here).</summary>
    public JsonObject DescribeNetworkInterfaces(ApiParams p)
    {
        CheckRegion(p, required: true);
        var ids = p.List("NetworkInterfaceId", 100);
        var ips = p.List("PrivateIpAddress", 100);
        var instanceId = p.Get("InstanceId");
        var vpcId = p.Get("VpcId");
        var vswId = p.Get("VSwitchId");
        var primaryIp = p.Get("PrimaryIpAddress");
        var type = p.OneOf("Type", "Primary", "Secondary", "Trunk", "Member");
        var status = p.OneOf("Status", "Available", "Attaching", "InUse", "Detaching", "Deleting");
        var sg = p.Get("SecurityGroupId");
        var tags = p.Tags(20);
        var tokenMode = p.Get("MaxResults") is not null || p.Get("NextToken") is not null || p.Get("PageNumber") is null && p.Get("PageSize") is null;

        lock (gate)
        {
            Settle();
            var matched = world.Enis
                .Where(e => ids.Count == 0 || ids.Contains(e.NetworkInterfaceId))
                .Where(e => ips.Count == 0 || ips.Any(e.Owns))
                .Where(e => instanceId is null || instanceId == world.InstanceId)
                .Where(e => vpcId is null || vpcId == world.VpcId)
                .Where(e => vswId is null || vswId == e.VSwitchId)
                .Where(e => primaryIp is null || primaryIp == e.PrimaryIp)
                .Where(e => type is null || type == e.Type)
                .Where(e => status is null || status == "InUse")
                .Where(e => sg is null || sg == world.SecurityGroupId)
                .Where(e => tags.All(t => e.Tags.TryGetValue(t.Key, out var v) && (t.Value.Length == 0 || v == t.Value)))
                .ToList();
            var result = new JsonObject { ["TotalCount"] = matched.Count };
            IEnumerable<Eni> page;
            if (tokenMode)
            {
                // MaxResults: 10..500; below 10 (or absent) means 10, above 500 means 500 (docs/cloud-api.md §11).
                var raw = p.Get("MaxResults");
                var max = 10;
                if (raw is not null)
                {
                    if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out max)) throw Errors.Invalid("MaxResults", $"'{raw}' is not an integer");
                    max = Math.Clamp(max, 10, 500);
                }
                var offset = DecodeNextToken(p.Get("NextToken"));
                page = matched.Skip(offset).Take(max);
                var next = offset + max < matched.Count ? EncodeNextToken(offset + max) : "";
                result["NextToken"] = next;
            }
            else
            {
                var pageNumber = p.Int("PageNumber", 1, int.MaxValue) ?? 1;
                var pageSize = p.Int("PageSize", 1, 1000) ?? 10;
                page = matched.Skip((int)Math.Min(int.MaxValue, (long)(pageNumber - 1) * pageSize)).Take(pageSize);
                result["PageNumber"] = pageNumber;
                result["PageSize"] = pageSize;
            }
            result["NetworkInterfaceSets"] = new JsonObject
            {
                ["NetworkInterfaceSet"] = new JsonArray(page.Select(e => (JsonNode)EniJson(e)).ToArray()),
            };
            return result;
        }
    }

    static string EncodeNextToken(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes("sim-offset:" + offset.ToString(CultureInfo.InvariantCulture)));

    static int DecodeNextToken(string? token)
    {
        if (token is null) return 0;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("sim-offset:", StringComparison.Ordinal) && int.TryParse(text[11..], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                return v;
        }
        catch (FormatException) { }
        throw Errors.Invalid("NextToken", $"'{token}' was not returned by this API");
    }

    JsonObject EniJson(Eni e)
    {
        JsonObject PublicIp(string ip)
        {
            var eip = eips.Values.FirstOrDefault(x => x.EniId == e.NetworkInterfaceId && x.PrivateIp == ip && x.Status == EipStatus.InUse);
            return eip is null ? [] : new JsonObject { ["PublicIpAddress"] = eip.IpAddress, ["AllocationId"] = eip.AllocationId };
        }
        var ipSets = new[] { e.PrimaryIp }.Concat(e.SecondaryIps).Select(ip => (JsonNode)new JsonObject
        {
            ["PrivateIpAddress"] = ip,
            ["Primary"] = ip == e.PrimaryIp,
            ["PrivateDnsName"] = "",
            ["AssociatedPublicIp"] = PublicIp(ip),
        }).ToArray();
        var deviceIndex = world.Enis.ToList().IndexOf(e);
        return new JsonObject
        {
            ["NetworkInterfaceId"] = e.NetworkInterfaceId,
            ["Status"] = "InUse",
            ["Type"] = e.Type,
            ["InstanceId"] = world.InstanceId,
            ["MacAddress"] = e.Mac,
            ["PrivateIpAddress"] = e.PrimaryIp,
            ["PrivateIpSets"] = new JsonObject { ["PrivateIpSet"] = new JsonArray(ipSets) },
            ["AssociatedPublicIp"] = PublicIp(e.PrimaryIp),
            ["Ipv6Sets"] = new JsonObject { ["Ipv6Set"] = new JsonArray() },
            ["Ipv4PrefixSets"] = new JsonObject { ["Ipv4PrefixSet"] = new JsonArray() },
            ["Ipv6PrefixSets"] = new JsonObject { ["Ipv6PrefixSet"] = new JsonArray() },
            ["VpcId"] = world.VpcId,
            ["VSwitchId"] = e.VSwitchId,
            ["ZoneId"] = world.ZoneId,
            ["SecurityGroupIds"] = new JsonObject { ["SecurityGroupId"] = new JsonArray(world.SecurityGroupId) },
            ["ResourceGroupId"] = world.ResourceGroupId,
            ["CreationTime"] = "2024-05-01T12:00:00Z",
            ["Description"] = "",
            ["NetworkInterfaceName"] = "",
            ["OwnerId"] = world.AccountId,
            ["ServiceManaged"] = false,
            ["QueueNumber"] = 1,
            ["DeleteOnRelease"] = e.Type != "Primary",
            ["SourceDestCheck"] = false,
            ["NetworkInterfaceTrafficMode"] = "Standard",
            ["Attachment"] = new JsonObject { ["InstanceId"] = world.InstanceId, ["DeviceIndex"] = deviceIndex, ["NetworkCardIndex"] = 0, ["TrunkNetworkInterfaceId"] = "" },
            ["Tags"] = new JsonObject
            {
                ["Tag"] = new JsonArray(e.Tags.Select(t => (JsonNode)new JsonObject { ["TagKey"] = t.Key, ["TagValue"] = t.Value }).ToArray()),
            },
        };
    }
}

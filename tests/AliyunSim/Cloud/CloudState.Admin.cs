using System.Globalization;
using System.Text.Json.Nodes;
using AliyunSim.Api;

namespace AliyunSim.Cloud;

public sealed partial class CloudState
{
    /// <summary>
    /// GET /_sim/eips: every EIP with its real binding (privateIpAddress is the bound IP even for a primary IP). With
    /// <paramref name="includeReleased"/> (?history=true), also every EIP released since the last reset.
    /// </summary>
    public JsonObject Snapshot(bool includeReleased = false)
    {
        lock (gate)
        {
            Settle();
            return new JsonObject
            {
                ["eips"] = new JsonArray((includeReleased ? history.Values : eips.Values)
                    .OrderBy(e => e.AllocationTime).ThenBy(e => e.AllocationId, StringComparer.Ordinal)
                    .Select(e => (JsonNode)AdminJson(e)).ToArray()),
            };
        }
    }

    static JsonObject AdminJson(Eip e) => new()
    {
        ["allocationId"] = e.AllocationId,
        ["ipAddress"] = e.IpAddress,
        ["status"] = e.Status,
        ["instanceId"] = e.InstanceId,
        ["instanceType"] = e.InstanceType,
        ["networkInterfaceId"] = e.EniId,
        ["privateIpAddress"] = e.PrivateIp,
        ["mode"] = e.Mode,
        ["bandwidth"] = e.Bandwidth,
        ["internetChargeType"] = e.InternetChargeType,
        ["chargeType"] = e.ChargeType,
        ["isp"] = e.Isp,
        ["name"] = e.Name,
        ["description"] = e.Description,
        ["resourceGroupId"] = e.ResourceGroupId,
        ["publicIpAddressPoolId"] = e.PublicIpAddressPoolId,
        ["securityProtectionTypes"] = new JsonArray(e.SecurityProtectionTypes.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        ["bandwidthPackageId"] = e.BandwidthPackageId,
        ["tags"] = new JsonObject(e.Tags.Select(t => new KeyValuePair<string, JsonNode?>(t.Key, t.Value))),
        ["allocatedBy"] = e.AllocatedBy,
        ["allocationTime"] = Time(e.AllocationTime),
        ["releaseTime"] = e.ReleaseTime is { } r ? Time(r) : null,
        ["goneTime"] = e.GoneTime is { } g ? Time(g) : null,
    };

    static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>POST /_sim/eips: a user-owned EIP (allocatedBy "seed"), optionally bound at once (status InUse).</summary>
    public JsonObject CreateUserEip(string? ipAddress, IReadOnlyDictionary<string, string> tags, string? bindEni, string? bindIp)
    {
        lock (gate)
        {
            Settle();
            if (ipAddress is not null && eips.Values.Any(e => e.IpAddress == ipAddress))
                throw new ApiException(400, "ReserveIpFail", $"The IP address {ipAddress} is already allocated.");
            var eip = new Eip { AllocationId = Ids.New("eip-bp1"), IpAddress = ipAddress ?? PickFreeAddress(), AllocationTime = clock.UtcNow,
                AllocatedBy = "seed", ResourceGroupId = world.ResourceGroupId };
            foreach (var (k, v) in tags) eip.SetTag(k, v);
            if (bindEni is not null) BindNow(eip, bindEni, bindIp);
            Add(eip);
            return AdminJson(eip);
        }
    }

    /// <summary>
    /// POST /_sim/eips/{id}/unassociate: a console user unbinds an InUse EIP behind the plugin's back, through
    /// Unassociating (as the API does) or, with <paramref name="immediate"/>, at once.
    /// </summary>
    public JsonObject ConsoleUnassociate(string id, bool immediate)
    {
        lock (gate)
        {
            Settle();
            var eip = Find(id);
            if (eip.Status != EipStatus.InUse) throw Errors.IncorrectEipStatus(id, eip.Status);
            if (immediate) Unbind(eip);
            else StartTransition(eip, EipStatus.Unassociating, config.UnassociateMs);
            return AdminJson(eip);
        }
    }

    /// <summary>
    /// DELETE /_sim/eips/{id}: a console user deletes the EIP whatever it is doing: it is unbound and leaves its
    /// bandwidth package at once, then goes through Releasing.
    /// </summary>
    public JsonObject ConsoleDelete(string id)
    {
        lock (gate)
        {
            Settle();
            var eip = Find(id);
            if (eip.Status == EipStatus.Releasing) throw Errors.IncorrectEipStatus(id, eip.Status);
            Unbind(eip);
            eip.BandwidthPackageId = null;
            eip.ReleaseTime = clock.UtcNow;
            StartTransition(eip, EipStatus.Releasing, config.ReleaseMs);
            return AdminJson(eip);
        }
    }

    static void Unbind(Eip eip)
    {
        eip.Status = EipStatus.Available;
        eip.InstanceId = eip.InstanceType = eip.PrivateIp = eip.Mode = eip.EniId = null;
    }

    void BindNow(Eip eip, string eniId, string? ip)
    {
        var (eni, privateIp) = ResolveTarget("NetworkInterface", eniId, ip);
        var holder = eips.Values.FirstOrDefault(e => e.EniId == eni.NetworkInterfaceId && e.PrivateIp == privateIp && e.Status != EipStatus.Available);
        if (holder is not null) throw Errors.Duplicated(eni.NetworkInterfaceId, privateIp, holder.AllocationId);
        eip.Status = EipStatus.InUse;
        eip.InstanceId = eni.NetworkInterfaceId;
        eip.InstanceType = "NetworkInterface";
        eip.EniId = eni.NetworkInterfaceId;
        eip.PrivateIp = privateIp;
        eip.Mode = "NAT";
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AliyunSim.Api;
using AliyunSim.Services;

namespace AliyunSim.Cloud;

/// <summary>
/// The account's EIPs and their state machine (docs/cloud-api.md §3, §6, §11). One lock guards everything; transitions
/// (Associating, Unassociating, Releasing) complete when their deadline passes, checked on every access.
/// </summary>
public sealed partial class CloudState
{
    static readonly string[] Isps = ["BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile", "ChinaTelecom_L2",
        "ChinaUnicom_L2", "ChinaMobile_L2", "BGP_FinanceCloud", "BGP_International"];
    static readonly string[] InstanceTypes = ["EcsInstance", "SlbInstance", "Nat", "NetworkInterface", "HaVip", "IpAddress"];

    readonly Lock gate = new();
    readonly World world;
    readonly SimConfig config;
    readonly SimClock clock;
    readonly Dictionary<string, Eip> eips = new(StringComparer.Ordinal);
    /// <summary>Every EIP since the last reset, released ones included (GET /_sim/eips?history=true).</summary>
    readonly Dictionary<string, Eip> history = new(StringComparer.Ordinal);

    public CloudState(World world, SimConfig config, SimClock clock)
    {
        this.world = world;
        this.config = config;
        this.clock = clock;
        Reset();
    }

    public World World => world;

    /// <summary>Forgets everything but the seed world, which returns to its initial state.</summary>
    public void Reset()
    {
        lock (gate)
        {
            eips.Clear();
            history.Clear();
            foreach (var seed in world.Eips)
            {
                var eip = new Eip { AllocationId = seed.AllocationId, IpAddress = seed.IpAddress, AllocationTime = clock.UtcNow, AllocatedBy = "seed",
                    ResourceGroupId = world.ResourceGroupId };
                foreach (var (k, v) in seed.Tags) eip.SetTag(k, v);
                if (seed.BindToEni is not null) BindNow(eip, seed.BindToEni, seed.BindToIp);
                Add(eip);
            }
        }
    }

    void Settle()
    {
        var now = Environment.TickCount64;
        foreach (var eip in eips.Values.ToList())
        {
            if (!EipStatus.IsTransition(eip.Status) || now < eip.TransitionEndsAt) continue;
            switch (eip.Status)
            {
                case EipStatus.Associating: eip.Status = EipStatus.InUse; break;
                case EipStatus.Unassociating:
                    eip.Status = EipStatus.Available;
                    eip.InstanceId = eip.InstanceType = eip.PrivateIp = eip.Mode = eip.EniId = null;
                    break;
                case EipStatus.Releasing:
                    eips.Remove(eip.AllocationId);
                    eip.GoneTime = clock.UtcNow;
                    break;
            }
        }
    }

    void Add(Eip eip)
    {
        eips[eip.AllocationId] = eip;
        history[eip.AllocationId] = eip;
    }

    void StartTransition(Eip eip, string status, int ms)
    {
        eip.Status = status;
        eip.TransitionEndsAt = Environment.TickCount64 + ms;
        Settle();
    }

    ApiException Conflict(Eip eip) => config.TaskConflictDuringTransition
        ? Errors.TaskConflict(eip.AllocationId)
        : Errors.IncorrectEipStatus(eip.AllocationId, eip.Status);

    Eip Find(string id) => eips.TryGetValue(id, out var e) ? e : throw Errors.AllocationNotFound(id);

    void CheckRegion(ApiParams p, bool required)
    {
        var region = required ? p.Required("RegionId") : p.Get("RegionId");
        if (region is not null && region != world.Region) throw Errors.RegionNotFound(region);
    }

    // ---------------------------------------------------------------- AllocateEipAddress
    public JsonObject Allocate(ApiParams p)
    {
        CheckRegion(p, required: true);
        var chargeType = p.OneOf("InstanceChargeType", "PostPaid", "PrePaid") ?? "PostPaid";
        var internet = p.OneOf("InternetChargeType", "PayByBandwidth", "PayByTraffic") ?? "PayByBandwidth";
        var (min, max) = chargeType == "PrePaid" ? (1, 1000) : internet == "PayByTraffic" ? (1, 200) : (1, 500);
        var bandwidth = p.Int("Bandwidth", min, max) ?? 5;
        if (chargeType == "PrePaid")
        {
            if (internet != "PayByBandwidth") throw Errors.Invalid("InternetChargeType", "PrePaid EIPs are PayByBandwidth only");
            if (p.Bool("AutoPay") != true) throw Errors.Invalid("AutoPay", "PrePaid requires AutoPay=true");
            var cycle = p.OneOf("PricingCycle", "Month", "Year") ?? "Month";
            p.Int("Period", 1, cycle == "Month" ? 9 : 5);
            if (p.Get("Name") is not null) throw Errors.Invalid("Name", "not supported for PrePaid EIPs");
        }
        else
        {
            p.Bool("AutoPay");
        }
        var isp = p.OneOf("ISP", Isps) ?? "BGP";
        var netmode = p.OneOf("Netmode", "public") ?? "public";
        var pool = p.Get("PublicIpAddressPoolId");
        if (pool is not null && !PoolId().IsMatch(pool)) throw Errors.Invalid("PublicIpAddressPoolId", $"'{pool}' is not an IP address pool ID");
        var rg = p.Get("ResourceGroupId");
        if (rg is not null && !ResourceGroup().IsMatch(rg))
            throw new ApiException(400, "InvalidResourceGroupId", $"The specified resource group does not exist: {rg}");
        var name = p.Get("Name") ?? "";
        CheckText("Name", name, 128);
        var description = p.Get("Description") ?? "";
        CheckText("Description", description, 256);
        var protection = p.List("SecurityProtectionTypes", 10);
        if (protection.Count > 1) throw Errors.Invalid("SecurityProtectionTypes", "at most one value");
        if (protection.Any(t => t != "AntiDDoS_Enhanced")) throw Errors.Invalid("SecurityProtectionTypes.1", $"'{protection[0]}' is not AntiDDoS_Enhanced");
        var tags = p.Tags(20);
        foreach (var (k, v) in tags) CheckTag(k, v);
        var requestedIp = p.Get("IpAddress");
        if (requestedIp is not null && p.Get("InstanceId") is not null) throw Errors.Invalid("IpAddress", "give IpAddress or InstanceId, not both");
        if (p.Get("InstanceId") is { } wantedId) throw new ApiException(400, "ReserveIpFail", $"The EIP instance {wantedId} cannot be reserved.");

        lock (gate)
        {
            Settle();
            if (chargeType == "PostPaid" && eips.Values.Count(e => e.ChargeType == "PostPaid") >= world.Quota)
                throw Errors.QuotaExceeded(world.Quota);
            var ip = requestedIp ?? PickFreeAddress();
            if (requestedIp is not null && (eips.Values.Any(e => e.IpAddress == requestedIp) || !IsPublicPoolAddress(requestedIp)))
                throw new ApiException(400, "ReserveIpFail", $"The IP address {requestedIp} cannot be reserved.");
            var eip = new Eip
            {
                AllocationId = Ids.New("eip-bp1"), IpAddress = ip, AllocationTime = clock.UtcNow, AllocatedBy = "api",
                Bandwidth = bandwidth, InternetChargeType = internet, ChargeType = chargeType, Isp = isp, Netmode = netmode,
                Name = name, Description = description, ResourceGroupId = rg ?? world.ResourceGroupId,
                PublicIpAddressPoolId = pool ?? "", SecurityProtectionTypes = protection,
            };
            foreach (var (k, v) in tags) eip.SetTag(k, v);
            Add(eip);
            var result = new JsonObject { ["AllocationId"] = eip.AllocationId };
            if (chargeType == "PostPaid")
            {
                result["EipAddress"] = eip.IpAddress;
                result["ResourceGroupId"] = eip.ResourceGroupId;
            }
            else
            {
                result["OrderId"] = Random.Shared.NextInt64(200_000_000_000_000, 299_999_999_999_999);
            }
            return result;
        }
    }

    static void CheckText(string name, string value, int max)
    {
        if (value.Length > max) throw Errors.Invalid(name, $"longer than {max} characters");
        if (value.StartsWith("http://", StringComparison.Ordinal) || value.StartsWith("https://", StringComparison.Ordinal))
            throw Errors.Invalid(name, "must not start with http:// or https://");
    }

    static void CheckTag(string key, string value)
    {
        if (key.Length is 0 or > 128) throw Errors.Invalid("Tag.N.Key", $"'{key}' must be 1..128 characters");
        if (key.StartsWith("aliyun", StringComparison.OrdinalIgnoreCase) || key.StartsWith("acs:", StringComparison.OrdinalIgnoreCase))
            throw Errors.Invalid("Tag.N.Key", $"'{key}' must not start with aliyun or acs:");
        if (key.Contains("http://", StringComparison.Ordinal) || key.Contains("https://", StringComparison.Ordinal))
            throw Errors.Invalid("Tag.N.Key", $"'{key}' must not contain http:// or https://");
        if (value.Length > 128) throw Errors.Invalid("Tag.N.Value", "longer than 128 characters");
        if (value.Contains("http://", StringComparison.Ordinal) || value.Contains("https://", StringComparison.Ordinal))
            throw Errors.Invalid("Tag.N.Value", "must not contain http:// or https://");
    }

    static IEnumerable<string> PublicPool() =>
        Enumerable.Range(1, 254).Select(i => $"203.0.113.{i}").Concat(Enumerable.Range(1, 254).Select(i => $"198.51.100.{i}"));

    static bool IsPublicPoolAddress(string ip) => PublicPool().Contains(ip);

    string PickFreeAddress()
    {
        var used = eips.Values.Select(e => e.IpAddress).ToHashSet();
        var free = PublicPool().Where(ip => !used.Contains(ip)).ToList();
        if (free.Count == 0) throw new ApiException(400, "ReserveIpFail", "No public IP address is left in the pool.");
        return free[Random.Shared.Next(free.Count)];
    }

    // ---------------------------------------------------------------- AssociateEipAddress
    public JsonObject Associate(ApiParams p)
    {
        CheckRegion(p, required: false);
        var id = p.Required("AllocationId");
        var instanceId = p.Required("InstanceId");
        var type = p.OneOf("InstanceType", InstanceTypes) ?? "EcsInstance";
        var mode = p.OneOf("Mode", "NAT", "MULTI_BINDED", "BINDED") ?? "NAT";
        var privateIp = p.Get("PrivateIpAddress");
        lock (gate)
        {
            Settle();
            var eip = Find(id);
            if (EipStatus.IsTransition(eip.Status)) throw Conflict(eip);
            if (eip.Status != EipStatus.Available) throw Errors.IncorrectEipStatus(id, eip.Status);
            var (eni, ip) = ResolveTarget(type, instanceId, privateIp);
            var holder = eips.Values.FirstOrDefault(e => e.EniId == eni.NetworkInterfaceId && e.PrivateIp == ip && e.Status != EipStatus.Available);
            if (holder is not null) throw Errors.Duplicated(eni.NetworkInterfaceId, ip, holder.AllocationId);
            eip.InstanceId = instanceId;
            eip.InstanceType = type;
            eip.EniId = eni.NetworkInterfaceId;
            eip.PrivateIp = ip;
            eip.Mode = mode;
            StartTransition(eip, EipStatus.Associating, config.AssociateMs);
            return [];
        }
    }

    (Eni Eni, string Ip) ResolveTarget(string type, string instanceId, string? privateIp)
    {
        Eni eni;
        switch (type)
        {
            case "NetworkInterface":
                eni = world.FindEni(instanceId) ?? throw Errors.InstanceNotFound(instanceId);
                break;
            case "EcsInstance":
                if (instanceId != world.InstanceId) throw Errors.InstanceNotFound(instanceId);
                eni = world.Enis.FirstOrDefault(e => e.Type == "Primary") ?? world.Enis[0];
                break;
            default:
                // The simulated account has no CLB, NAT gateway, HaVip or IP instance.
                throw Errors.InstanceNotFound(instanceId);
        }
        var ip = privateIp ?? eni.PrimaryIp;
        if (!eni.Owns(ip))
        {
            if (world.EniOwning(ip) is null) throw Errors.PrivateIpNotFound(ip);
            throw Errors.Invalid("PrivateIpAddress", $"{ip} is not a private IP of {eni.NetworkInterfaceId}");
        }
        return (eni, ip);
    }

    // ---------------------------------------------------------------- UnassociateEipAddress
    public JsonObject Unassociate(ApiParams p)
    {
        CheckRegion(p, required: false);
        var id = p.Required("AllocationId");
        var instanceId = p.Get("InstanceId");
        var type = p.OneOf("InstanceType", InstanceTypes);
        var privateIp = p.Get("PrivateIpAddress");
        p.Bool("Force");
        lock (gate)
        {
            Settle();
            var eip = Find(id);
            if (EipStatus.IsTransition(eip.Status)) throw Conflict(eip);
            if (eip.Status != EipStatus.InUse) throw Errors.IncorrectEipStatus(id, eip.Status);
            if ((instanceId is not null && instanceId != eip.InstanceId) || (type is not null && type != eip.InstanceType)
                || (privateIp is not null && privateIp != eip.PrivateIp))
                throw new ApiException(400, "InvalidBindingStatus", $"The EIP {id} is not bound to the specified instance or private IP.");
            StartTransition(eip, EipStatus.Unassociating, config.UnassociateMs);
            return [];
        }
    }

    // ---------------------------------------------------------------- ReleaseEipAddress
    public JsonObject Release(ApiParams p)
    {
        CheckRegion(p, required: false);
        var id = p.Required("AllocationId");
        lock (gate)
        {
            Settle();
            var eip = Find(id);
            if (EipStatus.IsTransition(eip.Status)) throw Conflict(eip);
            if (eip.Status != EipStatus.Available) throw Errors.IncorrectEipStatus(id, eip.Status);
            if (eip.ChargeType == "PrePaid")
                throw new ApiException(400, "Forbidden.ChargeTypeIsPrepaid", $"The EIP {id} is subscription (PrePaid) and cannot be released.");
            if (eip.BandwidthPackageId is not null && !config.ReleaseInCbwpAllowed)
                throw new ApiException(400, "OperationUnsupported.EipInCbwp",
                    $"The EIP {id} is in the bandwidth package {eip.BandwidthPackageId}; remove it from the package first.");
            eip.ReleaseTime = clock.UtcNow;
            StartTransition(eip, EipStatus.Releasing, config.ReleaseMs);
            return [];
        }
    }

    // ---------------------------------------------------------------- DescribeEipAddresses
    public JsonObject Describe(ApiParams p)
    {
        CheckRegion(p, required: true);
        var ids = CommaList(p, "AllocationId", 50);
        var ips = CommaList(p, "EipAddress", 50);
        var assocId = p.Get("AssociatedInstanceId");
        // The documented default of AssociatedInstanceType is EcsInstance, so an ENI id without the type matches nothing.
        var assocType = p.OneOf("AssociatedInstanceType", InstanceTypes) ?? (assocId is null ? null : "EcsInstance");
        var status = p.OneOf("Status", EipStatus.All);
        var name = p.Get("EipName");
        var isp = p.OneOf("ISP", Isps);
        var chargeType = p.OneOf("ChargeType", "PostPaid", "PrePaid");
        var rg = p.Get("ResourceGroupId");
        var pool = p.Get("PublicIpAddressPoolId");
        var tags = p.Tags(20);
        var pageNumber = p.Int("PageNumber", 1, int.MaxValue) ?? 1;
        var pageSize = p.Int("PageSize", 1, 100) ?? 10;
        if (p.Bool("DryRun") == true) throw new ApiException(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.");
        lock (gate)
        {
            Settle();
            var matched = eips.Values
                .Where(e => ids is null || ids.Contains(e.AllocationId))
                .Where(e => ips is null || ips.Contains(e.IpAddress))
                .Where(e => assocType is null || e.InstanceType == assocType)
                .Where(e => assocId is null || e.InstanceId == assocId)
                .Where(e => status is null || e.Status == status)
                .Where(e => name is null || e.Name == name)
                .Where(e => isp is null || e.Isp == isp)
                .Where(e => chargeType is null || e.ChargeType == chargeType)
                .Where(e => rg is null || e.ResourceGroupId == rg)
                .Where(e => pool is null || e.PublicIpAddressPoolId == pool)
                .Where(e => tags.All(t => e.Tags.Any(et => et.Key == t.Key && (t.Value.Length == 0 || et.Value == t.Value))))
                .OrderByDescending(e => e.AllocationTime).ThenBy(e => e.AllocationId, StringComparer.Ordinal)
                .ToList();
            var page = matched.Skip((int)Math.Min(int.MaxValue, (long)(pageNumber - 1) * pageSize)).Take(pageSize);
            return new JsonObject
            {
                ["TotalCount"] = matched.Count,
                ["PageNumber"] = pageNumber,
                ["PageSize"] = pageSize,
                ["EipAddresses"] = new JsonObject { ["EipAddress"] = new JsonArray(page.Select(e => (JsonNode)EipJson(e)).ToArray()) },
            };
        }
    }

    static HashSet<string>? CommaList(ApiParams p, string name, int max)
    {
        var raw = p.Get(name);
        if (raw is null) return null;
        var items = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length > max) throw Errors.Invalid(name, $"at most {max} comma-separated values");
        return items.ToHashSet(StringComparer.Ordinal);
    }

    JsonObject EipJson(Eip e)
    {
        var package = e.BandwidthPackageId is null ? null : world.BandwidthPackages.FirstOrDefault(b => b.Id == e.BandwidthPackageId);
        var eni = e.EniId is null ? null : world.FindEni(e.EniId);
        // Observed (Terway): a binding to the ENI's primary IP reports an empty PrivateIpAddress.
        var reportedPrivateIp = e.PrivateIp is null || (eni is not null && e.PrivateIp == eni.PrimaryIp) ? "" : e.PrivateIp;
        return new JsonObject
        {
            ["AllocationId"] = e.AllocationId,
            ["IpAddress"] = e.IpAddress,
            ["Status"] = e.Status,
            ["RegionId"] = world.Region,
            ["InstanceId"] = e.InstanceId ?? "",
            ["InstanceType"] = e.InstanceType ?? "",
            ["InstanceRegionId"] = e.InstanceId is null ? "" : world.Region,
            ["PrivateIpAddress"] = reportedPrivateIp,
            ["Mode"] = e.Mode ?? "",
            ["Bandwidth"] = Str(package?.Bandwidth ?? e.Bandwidth),
            ["EipBandwidth"] = Str(e.Bandwidth),
            ["InternetChargeType"] = e.InternetChargeType,
            ["ChargeType"] = e.ChargeType,
            ["ISP"] = e.Isp,
            ["Netmode"] = e.Netmode,
            ["Name"] = e.Name,
            ["Description"] = e.Description,
            ["ResourceGroupId"] = e.ResourceGroupId,
            ["AllocationTime"] = SimClock.Iso(e.AllocationTime),
            ["ExpiredTime"] = "",
            ["BandwidthPackageId"] = e.BandwidthPackageId ?? "",
            ["BandwidthPackageType"] = e.BandwidthPackageId is null ? "" : "CommonBandwidthPackage",
            ["BandwidthPackageBandwidth"] = package is null ? "" : Str(package.Bandwidth),
            ["BusinessStatus"] = "Normal",
            ["DeletionProtection"] = false,
            ["SecondLimited"] = false,
            ["HDMonitorStatus"] = "false",
            ["HasReservationData"] = "false",
            ["ServiceManaged"] = 0,
            ["PublicIpAddressPoolId"] = e.PublicIpAddressPoolId,
            ["VpcId"] = "",
            ["Zone"] = "",
            ["OperationLocks"] = new JsonObject { ["LockReason"] = new JsonArray() },
            ["SecurityProtectionTypes"] = new JsonObject
            {
                ["SecurityProtectionType"] = new JsonArray(e.SecurityProtectionTypes.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            },
            ["Tags"] = new JsonObject
            {
                ["Tag"] = new JsonArray(e.Tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray()),
            },
        };
    }

    static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- Add/RemoveCommonBandwidthPackageIp
    public JsonObject AddToPackage(ApiParams p)
    {
        CheckRegion(p, required: true);
        var packageId = p.Required("BandwidthPackageId");
        var ipId = p.Required("IpInstanceId");
        p.OneOf("IpType", "EIP");
        var dryRun = p.Bool("DryRun") == true;
        lock (gate)
        {
            Settle();
            var package = world.BandwidthPackages.FirstOrDefault(b => b.Id == packageId) ?? throw Errors.BandwidthPackageNotFound(packageId);
            if (!eips.TryGetValue(ipId, out var eip)) throw Errors.InstanceNotFound(ipId, 400);
            if (eip.Status == EipStatus.Releasing) throw Errors.IncorrectEipStatus(ipId, eip.Status);
            if (eip.ChargeType != "PostPaid") throw Errors.Invalid("IpInstanceId", $"{ipId} is not pay-as-you-go");
            if (eip.Isp != package.Isp) throw Errors.Invalid("IpInstanceId", $"the line type of {ipId} ({eip.Isp}) differs from the package's ({package.Isp})");
            if (eip.BandwidthPackageId is not null)
                throw new ApiException(400, "OperationFailed.EipAlreadyInCbwp", $"The EIP {ipId} is already in the bandwidth package {eip.BandwidthPackageId}.");
            if (dryRun) throw new ApiException(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.");
            eip.BandwidthPackageId = package.Id;
            return [];
        }
    }

    public JsonObject RemoveFromPackage(ApiParams p)
    {
        CheckRegion(p, required: true);
        var packageId = p.Required("BandwidthPackageId");
        var ipId = p.Required("IpInstanceId");
        var dryRun = p.Bool("DryRun") == true;
        lock (gate)
        {
            Settle();
            var package = world.BandwidthPackages.FirstOrDefault(b => b.Id == packageId) ?? throw Errors.BandwidthPackageNotFound(packageId);
            if (!eips.TryGetValue(ipId, out var eip) || eip.BandwidthPackageId != package.Id) throw Errors.IpNotInCbwp(ipId, packageId);
            if (dryRun) throw new ApiException(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.");
            eip.BandwidthPackageId = null;
            return [];
        }
    }

    // ---------------------------------------------------------------- TagResources
    public JsonObject TagResources(ApiParams p)
    {
        CheckRegion(p, required: true);
        var type = p.Required("ResourceType");
        if (!type.Equals("EIP", StringComparison.OrdinalIgnoreCase))
            throw Errors.Invalid("ResourceType", $"'{type}': the simulator only holds EIP resources");
        var ids = p.List("ResourceId", 50);
        if (ids.Count == 0) throw Errors.Missing("ResourceId.1");
        var tags = p.Tags(20);
        if (tags.Count == 0) throw Errors.Missing("Tag.1.Key");
        foreach (var (k, v) in tags) CheckTag(k, v);
        lock (gate)
        {
            Settle();
            var targets = ids.Select(id => eips.TryGetValue(id, out var e) ? e
                : throw new ApiException(404, "InvalidResourceId.NotFound", $"The specified resource does not exist: {id}")).ToList();
            foreach (var eip in targets)
            {
                var after = eip.Tags.Select(t => t.Key).Concat(tags.Select(t => t.Key)).Distinct().Count();
                if (after > 20) throw new ApiException(400, "QuotaExceeded.TagNum", $"A resource can have at most 20 tags ({eip.AllocationId} would have {after}).");
            }
            foreach (var eip in targets)
                foreach (var (k, v) in tags) eip.SetTag(k, v);
            return [];
        }
    }

    [GeneratedRegex("^pippool-[a-z0-9]+$")]
    private static partial Regex PoolId();

    [GeneratedRegex("^rg-[A-Za-z0-9]+$")]
    private static partial Regex ResourceGroup();
}

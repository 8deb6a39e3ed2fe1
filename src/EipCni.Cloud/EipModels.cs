using System.Text.Json.Serialization;

namespace EipCni.Cloud;

// Requests and responses of the VPC 2016-04-28 EIP APIs (docs/cloud-api.md §3). Types follow the
// official SDK: strings where the API sends strings (Bandwidth "5"). RegionId is added by EipCloud.

/// <summary>AllocateEipAddress options; null means "not sent" (the cloud's default applies).</summary>
public sealed record AllocateEipRequest
{
    /// <summary>Mbit/s as the API's string (default "5").</summary>
    public string? Bandwidth { get; init; }
    /// <summary><c>PayByTraffic</c> or <c>PayByBandwidth</c> (the API's default).</summary>
    public string? InternetChargeType { get; init; }
    /// <summary><c>PostPaid</c> (default) or <c>PrePaid</c>.</summary>
    public string? InstanceChargeType { get; init; }
    public string? Isp { get; init; }
    public string? PublicIpAddressPoolId { get; init; }
    public string? ResourceGroupId { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string>? SecurityProtectionTypes { get; init; }
    /// <summary>Tags set at creation (Tag.N.Key/Value), in the given order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Tags { get; init; }
    /// <summary>Keeps retries (and a retried ADD) from allocating a second EIP; ASCII, at most 64 characters.</summary>
    public string? ClientToken { get; init; }
}

/// <summary>AllocateEipAddress answer.</summary>
public sealed record AllocateEipResult
{
    public string RequestId { get; init; } = "";
    public string AllocationId { get; init; } = "";
    public string EipAddress { get; init; } = "";
    public string? ResourceGroupId { get; init; }
    public long? OrderId { get; init; }
}

/// <summary>AssociateEipAddress to an ENI private IP (asynchronous: the EIP goes Associating, then InUse).</summary>
public sealed record AssociateEipRequest(string AllocationId, string InstanceId, string PrivateIpAddress)
{
    /// <summary><c>NetworkInterface</c> for our ENIs.</summary>
    public string InstanceType { get; init; } = "NetworkInterface";
    /// <summary><c>NAT</c> (cloud default), <c>MULTI_BINDED</c>, <c>BINDED</c>; null = not sent.</summary>
    public string? Mode { get; init; }
    public string? ClientToken { get; init; }
}

/// <summary>UnassociateEipAddress; giving the instance and IP makes the cloud refuse if the EIP moved meanwhile.</summary>
public sealed record UnassociateEipRequest(string AllocationId)
{
    public string? InstanceId { get; init; }
    public string? InstanceType { get; init; } = "NetworkInterface";
    public string? PrivateIpAddress { get; init; }
    public bool? Force { get; init; }
    public string? ClientToken { get; init; }
}

/// <summary>DescribeEipAddresses filters; all given filters apply together. Pages are followed to the end.</summary>
public sealed record EipQuery
{
    /// <summary>Sent 50 per call (the API's limit), comma-separated.</summary>
    public IReadOnlyList<string>? AllocationIds { get; init; }
    public string? EipAddress { get; init; }
    public string? AssociatedInstanceType { get; init; }
    public string? AssociatedInstanceId { get; init; }
    /// <summary><c>Associating</c>, <c>Unassociating</c>, <c>InUse</c>, <c>Available</c>, <c>Releasing</c>.</summary>
    public string? Status { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? Tags { get; init; }
}

/// <summary>One EIP as DescribeEipAddresses returns it.</summary>
public sealed record EipAddress
{
    public string AllocationId { get; init; } = "";
    public string IpAddress { get; init; } = "";
    public string Status { get; init; } = "";
    public string? RegionId { get; init; }
    /// <summary>What it is bound to (the ENI id for us); empty when unbound.</summary>
    public string? InstanceId { get; init; }
    public string? InstanceType { get; init; }
    public string? InstanceRegionId { get; init; }
    /// <summary>The bound private IP. The cloud returns it EMPTY when the EIP is bound to an ENI's primary IP.</summary>
    public string? PrivateIpAddress { get; init; }
    public string? Mode { get; init; }
    public string? Bandwidth { get; init; }
    public string? EipBandwidth { get; init; }
    public string? InternetChargeType { get; init; }
    public string? ChargeType { get; init; }
    [JsonPropertyName("ISP")] public string? Isp { get; init; }
    public string? Netmode { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public string? ResourceGroupId { get; init; }
    public string? AllocationTime { get; init; }
    public string? ExpiredTime { get; init; }
    public string? BandwidthPackageId { get; init; }
    public string? BandwidthPackageType { get; init; }
    public string? BandwidthPackageBandwidth { get; init; }
    public string? BusinessStatus { get; init; }
    public string? PublicIpAddressPoolId { get; init; }
    public string? VpcId { get; init; }
    public string? Zone { get; init; }
    public bool? DeletionProtection { get; init; }
    public bool? SecondLimited { get; init; }
    public int? ServiceManaged { get; init; }
    public string? HDMonitorStatus { get; init; }
    public string? HasReservationData { get; init; }
    public OperationLockList? OperationLocks { get; init; }
    public SecurityProtectionTypeList? SecurityProtectionTypes { get; init; }
    public VpcTagList? Tags { get; init; }

    /// <summary><see cref="Status"/> as a value the code can switch on.</summary>
    [JsonIgnore]
    public EipStatus State => EipStatuses.Parse(Status);

    /// <summary>The tags as a dictionary (last value wins on a repeated key).</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, string> TagMap =>
        (Tags?.Tag ?? []).GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value ?? "", StringComparer.Ordinal);
}

public sealed record VpcTag(string Key, string? Value);
public sealed record VpcTagList(IReadOnlyList<VpcTag>? Tag);
public sealed record SecurityProtectionTypeList(IReadOnlyList<string>? SecurityProtectionType);
public sealed record OperationLock(string? LockReason);
public sealed record OperationLockList(IReadOnlyList<OperationLock>? LockReason);
public sealed record EipAddressList(IReadOnlyList<EipAddress>? EipAddress);

/// <summary>One page of DescribeEipAddresses.</summary>
public sealed record DescribeEipAddressesResponse
{
    public string RequestId { get; init; } = "";
    public int TotalCount { get; init; }
    public int PageNumber { get; init; }
    public int PageSize { get; init; }
    public EipAddressList? EipAddresses { get; init; }
}

/// <summary>The answer of calls that return only a request ID.</summary>
public sealed record CloudAck(string RequestId);

/// <summary>The error body every API returns with a non-2xx status.</summary>
public sealed record CloudErrorBody(string? RequestId, string? HostId, string? Code, string? Message, string? Recommend);

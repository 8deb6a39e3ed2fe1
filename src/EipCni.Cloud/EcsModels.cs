namespace EipCni.Cloud;

// ECS 2014-05-26 DescribeNetworkInterfaces (docs/cloud-api.md §3). Note the tag fields are
// TagKey/TagValue here, unlike VPC's Key/Value.

/// <summary>DescribeNetworkInterfaces filters; pages (NextToken) are followed to the end.</summary>
public sealed record NetworkInterfaceQuery
{
    public string? InstanceId { get; init; }
    public IReadOnlyList<string>? NetworkInterfaceIds { get; init; }
    public IReadOnlyList<string>? PrivateIpAddresses { get; init; }
    public string? VpcId { get; init; }
    public string? Type { get; init; }
    public string? Status { get; init; }
}

/// <summary>One ENI as DescribeNetworkInterfaces returns it.</summary>
public sealed record NetworkInterface
{
    public string NetworkInterfaceId { get; init; } = "";
    public string? Status { get; init; }
    /// <summary><c>Primary</c>, <c>Secondary</c> (Terway also sees <c>Trunk</c>, <c>Member</c>).</summary>
    public string? Type { get; init; }
    public string? InstanceId { get; init; }
    public string? MacAddress { get; init; }
    /// <summary>The ENI's primary private IPv4.</summary>
    public string? PrivateIpAddress { get; init; }
    public PrivateIpSetList? PrivateIpSets { get; init; }
    public AssociatedPublicIp? AssociatedPublicIp { get; init; }
    public string? VpcId { get; init; }
    public string? VSwitchId { get; init; }
    public string? ZoneId { get; init; }
    public string? NetworkInterfaceName { get; init; }
    public string? Description { get; init; }
    public string? CreationTime { get; init; }
    public EcsTagList? Tags { get; init; }

    /// <summary>Every private IPv4 of the ENI (primary first when the cloud lists it first).</summary>
    public IEnumerable<string> PrivateIpAddresses =>
        (PrivateIpSets?.PrivateIpSet ?? []).Select(p => p.PrivateIpAddress).OfType<string>();
}

public sealed record PrivateIpSet(string? PrivateIpAddress, bool Primary, string? PrivateDnsName, AssociatedPublicIp? AssociatedPublicIp);
public sealed record PrivateIpSetList(IReadOnlyList<PrivateIpSet>? PrivateIpSet);
public sealed record AssociatedPublicIp(string? PublicIpAddress, string? AllocationId);
public sealed record EcsTag(string? TagKey, string? TagValue);
public sealed record EcsTagList(IReadOnlyList<EcsTag>? Tag);
public sealed record NetworkInterfaceSetList(IReadOnlyList<NetworkInterface>? NetworkInterfaceSet);

/// <summary>One page of DescribeNetworkInterfaces.</summary>
public sealed record DescribeNetworkInterfacesResponse
{
    public string RequestId { get; init; } = "";
    public string? NextToken { get; init; }
    public int TotalCount { get; init; }
    public NetworkInterfaceSetList? NetworkInterfaceSets { get; init; }
}

namespace EipCni.Cni;

/// <summary>
/// What a pod's annotations ask for, validated and with defaults applied (README, "Pod annotations"). Made by
/// <see cref="EipRequestParser.Parse"/>; nothing here has touched the cloud yet.
/// </summary>
public sealed record EipRequest
{
    public const int DefaultBandwidth = 5;
    public const string PayByTraffic = "PayByTraffic";
    public const string PayByBandwidth = "PayByBandwidth";
    public const string PostPaid = "PostPaid";

    /// <summary>A pod that does not ask for an EIP.</summary>
    public static readonly EipRequest NotWanted = new() { Wanted = false };

    /// <summary>True when the pod asks for an EIP: pod-with-eip "true", or a pod-eip-instanceid.</summary>
    public required bool Wanted { get; init; }

    /// <summary>The user's own EIP (<c>eip-…</c>) to bind; it is never modified or released. Null = the plugin allocates one.</summary>
    public string? UserAllocationId { get; init; }

    /// <summary>Mbit/s for a new EIP.</summary>
    public int Bandwidth { get; init; } = DefaultBandwidth;

    /// <summary>PayByTraffic or PayByBandwidth. Always send it: the cloud's own default is PayByBandwidth.</summary>
    public string InternetChargeType { get; init; } = PayByTraffic;

    /// <summary>Always PostPaid: a subscription EIP could not be released by the plugin.</summary>
    public string InstanceChargeType { get; init; } = PostPaid;

    public string? CommonBandwidthPackageId { get; init; }

    public string? Isp { get; init; }

    public string? PublicIpAddressPoolId { get; init; }

    public string? ResourceGroupId { get; init; }

    public string? Name { get; init; }

    public string? Description { get; init; }

    /// <summary>Anti-DDoS editions for SecurityProtectionTypes.N; empty = Anti-DDoS Basic.</summary>
    public IReadOnlyList<string> SecurityProtectionTypes { get; init; } = [];

    /// <summary>The user's tags from eip-tags, applied with TagResources next to the ownership tags.</summary>
    public IReadOnlyDictionary<string, string> UserTags { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    public ReleaseStrategy ReleaseStrategy { get; init; } = ReleaseStrategy.Follow;

    /// <summary>Human sentences about annotations that were ignored or overridden; each becomes a Warning event.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The annotation keys whose values were used, in the order they were read.</summary>
    public IReadOnlyList<string> SourceKeys { get; init; } = [];

    /// <summary>True when the plugin allocates (and owns) the EIP rather than binding the user's.</summary>
    public bool Automatic => Wanted && UserAllocationId is null;
}

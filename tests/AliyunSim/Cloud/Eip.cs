namespace AliyunSim.Cloud;

/// <summary>The status values DescribeEipAddresses reports.</summary>
public static class EipStatus
{
    public const string Available = "Available", Associating = "Associating", InUse = "InUse",
        Unassociating = "Unassociating", Releasing = "Releasing";
    public static readonly string[] All = [Available, Associating, InUse, Unassociating, Releasing];
    public static bool IsTransition(string s) => s is Associating or Unassociating or Releasing;
}

/// <summary>One EIP and its binding. Mutated only under <see cref="CloudState"/>'s lock.</summary>
public sealed class Eip
{
    public required string AllocationId { get; init; }
    public required string IpAddress { get; init; }
    public required DateTimeOffset AllocationTime { get; init; }
    public required string AllocatedBy { get; init; } // "api" | "seed"
    public string Status { get; set; } = EipStatus.Available;
    public int Bandwidth { get; set; } = 5;
    public string InternetChargeType { get; set; } = "PayByBandwidth";
    public string ChargeType { get; set; } = "PostPaid";
    public string Isp { get; set; } = "BGP";
    public string Netmode { get; set; } = "public";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string ResourceGroupId { get; set; } = "";
    public string PublicIpAddressPoolId { get; set; } = "";
    public List<string> SecurityProtectionTypes { get; set; } = [];
    public string? BandwidthPackageId { get; set; }
    /// <summary>Insertion-ordered tags.</summary>
    public List<KeyValuePair<string, string>> Tags { get; } = [];

    public string? InstanceId { get; set; }
    /// <summary>The ENI that carries the binding (for an EcsInstance binding, the primary ENI).</summary>
    public string? EniId { get; set; }
    public string? InstanceType { get; set; }
    /// <summary>The real bound private IP, also for an ENI primary IP (the API reports "" then).</summary>
    public string? PrivateIp { get; set; }
    public string? Mode { get; set; }

    /// <summary>When ReleaseEipAddress (or a console delete) was accepted; null while the EIP is alive.</summary>
    public DateTimeOffset? ReleaseTime { get; set; }
    /// <summary>When Releasing ended and the EIP disappeared from the account.</summary>
    public DateTimeOffset? GoneTime { get; set; }

    /// <summary>Environment.TickCount64 at which the current transition completes.</summary>
    public long TransitionEndsAt { get; set; }

    public void SetTag(string key, string value)
    {
        var i = Tags.FindIndex(t => t.Key == key);
        if (i >= 0) Tags[i] = new(key, value); else Tags.Add(new(key, value));
    }
}

namespace EipCni.Cni;

/// <summary>Annotation names of the README's "Pod annotations" table: every name under both prefixes, plus the compat names.</summary>
public static class EipAnnotationNames
{
    public const string NewPrefix = "network.alibabacloud.com/";
    public const string OldPrefix = "k8s.aliyun.com/";

    public const string PodWithEip = "pod-with-eip";
    public const string PodEipInstanceId = "pod-eip-instanceid";
    public const string CompatWithEip = "k8s.aliyun.com/eci-with-eip";
    public const string CompatInstanceId = "k8s.aliyun.com/eci-eip-instanceid";

    public const string Bandwidth = "eip-bandwidth";
    public const string InternetChargeType = "eip-internet-charge-type";
    public const string CompatChargeType = "k8s.aliyun.com/eip-charge-type";
    public const string InstanceChargeType = "eip-instance-charge-type";
    public const string CommonBandwidthPackageId = "eip-common-bandwidth-package-id";
    public const string Isp = "eip-isp";
    public const string PublicIpAddressPoolId = "eip-public-ip-address-pool-id";
    public const string ResourceGroupId = "eip-resource-group-id";
    public const string Name = "eip-name";
    public const string Description = "eip-description";
    public const string SecurityProtectionTypes = "eip-security-protection-types";
    public const string Tags = "eip-tags";
    public const string ReleaseStrategy = "pod-eip-release-strategy";

    public const string AllocatedOld = "k8s.aliyun.com/allocated-eipAddress";
    public const string AllocatedNew = "network.alibabacloud.com/allocated-eipAddress";

    /// <summary>
    /// Looks a name up with the documented precedence: network.alibabacloud.com/ wins over k8s.aliyun.com/, which wins
    /// over the compat name. Returns the annotation key that supplied the value, so errors can name it.
    /// </summary>
    public static (string Key, string Value)? Lookup(IReadOnlyDictionary<string, string> annotations, string name, string? compat = null)
    {
        if (annotations.TryGetValue(NewPrefix + name, out var v)) return (NewPrefix + name, v);
        if (annotations.TryGetValue(OldPrefix + name, out v)) return (OldPrefix + name, v);
        if (compat is not null && annotations.TryGetValue(compat, out v)) return (compat, v);
        return null;
    }

    /// <summary>Does the pod ask for an EIP at all? Cheap: the pass-through path calls it for every pod.</summary>
    public static bool WantsEip(IReadOnlyDictionary<string, string> annotations)
    {
        var with = Lookup(annotations, PodWithEip, CompatWithEip);
        if (with is { } w && string.Equals(w.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase)) return true;
        var id = Lookup(annotations, PodEipInstanceId, CompatInstanceId);
        return id is { } i && i.Value.Trim().Length > 0;
    }
}

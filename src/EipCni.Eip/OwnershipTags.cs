using System.Security.Cryptography;
using System.Text;

namespace EipCni.Eip;

/// <summary>
/// Tags eip-cni puts on every EIP it creates, so a lost journal is recoverable from the cloud and GC only ever
/// touches EIPs of this cluster that the plugin created. Set at creation (AllocateEipAddress Tag.N), so even an
/// EIP whose allocation answer was lost carries them.
/// </summary>
public static class OwnershipTags
{
    public const string Prefix = "eip-cni.alibabacloud.com/";
    public const string Cluster = Prefix + "cluster";
    public const string Pod = Prefix + "pod";
    public const string PodUid = Prefix + "pod-uid";
    public const string ContainerId = Prefix + "container-id";
    public const string Node = Prefix + "node";
    public const string ReleaseStrategy = Prefix + "release-strategy";
    /// <summary>"true" while an EIP is kept for its pod identity after the pod went away.</summary>
    public const string Retained = Prefix + "retained";
    /// <summary>RFC 3339 UTC time after which GC may release a retained EIP ("" = never).</summary>
    public const string ReleaseAfter = Prefix + "release-after";

    /// <summary>Tag values are limited to 128 characters: long values keep a prefix and a hash of the whole.</summary>
    public static string Value(string value)
    {
        if (value.Length <= 128) return value;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16];
        return value[..(128 - 17)] + "~" + hash;
    }

    public static List<KeyValuePair<string, string>> ForNewEip(string clusterId, string podNamespace, string podName,
        string? podUid, string containerId, string node, string releaseStrategy) =>
    [
        new(Cluster, Value(clusterId)),
        new(Pod, Value($"{podNamespace}/{podName}")),
        new(PodUid, Value(podUid ?? "")),
        new(ContainerId, Value(containerId)),
        new(Node, Value(node)),
        new(ReleaseStrategy, releaseStrategy),
        new(Retained, "false"),
    ];
}

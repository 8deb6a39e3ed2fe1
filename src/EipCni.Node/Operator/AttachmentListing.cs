using System.Text.Json.Nodes;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.State;

namespace EipCni.Node;

/// <summary>
/// <c>eip-cni-agent list</c>: this node's attachments from the journal (every network under the entry's stateDir), or
/// with <c>--cluster</c> this cluster's EIPs from the cloud, found by the ownership tag <see cref="OwnershipTags.Cluster"/>.
/// </summary>
public static class AttachmentListing
{
    public static readonly string[] NodeColumns = ["POD", "EIP", "IP", "ENI", "PHASE", "AGE"];
    public static readonly string[] ClusterColumns = ["EIP", "STATUS", "POD", "NODE", "BOUND TO", "RELEASE"];

    /// <summary>Every record of every network in <paramref name="stateDir"/>, oldest first; unreadable files go to <paramref name="onBadFile"/>.</summary>
    public static IReadOnlyList<AttachmentRecord> NodeRecords(string stateDir, Action<string, Exception>? onBadFile = null) =>
        Journal.Networks(stateDir)
            .SelectMany(network => new Journal(stateDir, network).List(onBadFile))
            .OrderBy(r => r.CreatedAt).ThenBy(r => r.Key.ToString(), StringComparer.Ordinal)
            .ToList();

    public static string NodeTable(IEnumerable<AttachmentRecord> records, DateTimeOffset now) =>
        TextTable.Format(NodeColumns, records.Select(r => (IReadOnlyList<string>)
        [
            Pod(r), Eip(r.AllocationId, r.EipAddress), r.PrivateIp ?? "-", r.NetworkInterfaceId ?? "-", r.Phase.ToString(), TextTable.Age(now - r.CreatedAt),
        ]));

    public static JsonArray NodeJson(IEnumerable<AttachmentRecord> records, DateTimeOffset now) =>
        new(records.Select(r => (JsonNode)new JsonObject
        {
            ["pod"] = Pod(r),
            ["podUid"] = r.PodUid,
            ["allocationId"] = r.AllocationId,
            ["eipAddress"] = r.EipAddress,
            ["ip"] = r.PrivateIp,
            ["eni"] = r.NetworkInterfaceId,
            ["phase"] = r.Phase.ToString(),
            ["origin"] = r.Origin.ToString(),
            ["releaseStrategy"] = r.ReleaseStrategy,
            ["releaseAfter"] = r.ReleaseAfter?.ToString("O"),
            ["network"] = r.Network,
            ["containerId"] = r.ContainerId,
            ["ifName"] = r.IfName,
            ["createdAt"] = r.CreatedAt.ToString("O"),
            ["ageSeconds"] = (long)Math.Max(0, (now - r.CreatedAt).TotalSeconds),
            ["lastError"] = r.LastError,
        }).ToArray());

    /// <summary>Every EIP tagged with this cluster's ID (DescribeEipAddresses by tag, every page).</summary>
    public static async Task<IReadOnlyList<EipAddress>> ClusterEipsAsync(IEipCloud cloud, string clusterId, CancellationToken ct) =>
        (await cloud.DescribeEipAddressesAsync(new EipQuery { Tags = [new(OwnershipTags.Cluster, OwnershipTags.Value(clusterId))] }, ct).ConfigureAwait(false))
            .OrderBy(e => e.TagMap.GetValueOrDefault(OwnershipTags.Pod), StringComparer.Ordinal).ThenBy(e => e.AllocationId, StringComparer.Ordinal)
            .ToList();

    public static string ClusterTable(IEnumerable<EipAddress> eips) =>
        TextTable.Format(ClusterColumns, eips.Select(e => (IReadOnlyList<string>)
        [
            Eip(e.AllocationId, e.IpAddress), e.Status, Tag(e, OwnershipTags.Pod) ?? "-", Tag(e, OwnershipTags.Node) ?? "-", BoundTo(e), Release(e),
        ]));

    public static JsonArray ClusterJson(IEnumerable<EipAddress> eips) =>
        new(eips.Select(e => (JsonNode)new JsonObject
        {
            ["allocationId"] = e.AllocationId,
            ["eipAddress"] = e.IpAddress,
            ["status"] = e.Status,
            ["pod"] = Tag(e, OwnershipTags.Pod),
            ["podUid"] = Tag(e, OwnershipTags.PodUid),
            ["node"] = Tag(e, OwnershipTags.Node),
            ["containerId"] = Tag(e, OwnershipTags.ContainerId),
            ["releaseStrategy"] = Tag(e, OwnershipTags.ReleaseStrategy),
            ["retained"] = Tag(e, OwnershipTags.Retained) == "true",
            ["releaseAfter"] = Tag(e, OwnershipTags.ReleaseAfter),
            ["instanceId"] = string.IsNullOrEmpty(e.InstanceId) ? null : e.InstanceId,
            ["privateIpAddress"] = string.IsNullOrEmpty(e.PrivateIpAddress) ? null : e.PrivateIpAddress,
            ["bandwidth"] = e.Bandwidth,
            ["internetChargeType"] = e.InternetChargeType,
            ["allocationTime"] = e.AllocationTime,
        }).ToArray());

    /// <summary>The cluster ID the engine would use: the plugin config's, else eni_conf's; null when neither names one.</summary>
    public static string? ClusterId(NetConf conf, EniConf eniConf) => conf.ClusterId ?? NetConf.ClusterIdOrNull(eniConf.ClusterId, "eni_conf.cluster_id");

    private static string Pod(AttachmentRecord r) => r.PodNamespace is null && r.PodName is null ? "-" : $"{r.PodNamespace}/{r.PodName}";

    private static string Eip(string? allocationId, string? address) => (allocationId, string.IsNullOrEmpty(address) ? null : address) switch
    {
        (null, null) => "-",
        (null, var a) => a,
        (var id, null) => id,
        (var id, var a) => $"{id} ({a})",
    };

    private static string? Tag(EipAddress e, string key) => e.TagMap.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    private static string BoundTo(EipAddress e) => string.IsNullOrEmpty(e.InstanceId) ? "-"
        : string.IsNullOrEmpty(e.PrivateIpAddress) ? e.InstanceId : $"{e.InstanceId} {e.PrivateIpAddress}";

    private static string Release(EipAddress e) => Tag(e, OwnershipTags.Retained) == "true"
        ? $"kept{(Tag(e, OwnershipTags.ReleaseAfter) is { } after ? $" until {after}" : "")}"
        : Tag(e, OwnershipTags.ReleaseStrategy) ?? "-";
}

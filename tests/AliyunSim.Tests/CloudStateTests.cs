using System.Text.Json.Nodes;
using AliyunSim.Api;
using AliyunSim.Cloud;
using AliyunSim.Services;

namespace AliyunSim.Tests;

/// <summary>The EIP state machine and its guards, driven directly (docs/cloud-api.md §3, §6, §11).</summary>
public class CloudStateTests
{
    readonly World world = World.CreateDefault();
    readonly SimConfig config = new() { AssociateMs = 0, UnassociateMs = 0, ReleaseMs = 0 };
    readonly CloudState cloud;

    public CloudStateTests() => cloud = new CloudState(world, config, new SimClock());

    static ApiParams P(params (string Key, string Value)[] values) => new(values.ToDictionary(v => v.Key, v => v.Value));
    Eni Primary => world.Enis[0];
    Eni Secondary => world.Enis[1];

    string Allocate(params (string, string)[] extra) =>
        cloud.Allocate(P([("RegionId", world.Region), .. extra]))["AllocationId"]!.GetValue<string>();

    JsonObject DescribeOne(string id) =>
        (JsonObject)cloud.Describe(P(("RegionId", world.Region), ("AllocationId", id)))["EipAddresses"]!["EipAddress"]!.AsArray().Single()!;

    static string Code(Action a) => Assert.Throws<ApiException>(a).Code;

    [Fact]
    public void AllocateDefaultsFollowTheDocs_AndBandwidthIsAString()
    {
        var eip = DescribeOne(Allocate());
        Assert.Equal(("Available", "5", "PayByBandwidth", "PostPaid", "BGP"),
            (eip["Status"]!.GetValue<string>(), eip["Bandwidth"]!.GetValue<string>(), eip["InternetChargeType"]!.GetValue<string>(),
             eip["ChargeType"]!.GetValue<string>(), eip["ISP"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("Bandwidth", "201", "InternetChargeType", "PayByTraffic")]
    [InlineData("Bandwidth", "0", "ISP", "BGP")]
    [InlineData("InternetChargeType", "PayByHour", "ISP", "BGP")]
    [InlineData("ISP", "Carrier", "Bandwidth", "5")]
    [InlineData("InstanceChargeType", "PrePaid", "InternetChargeType", "PayByBandwidth")] // PrePaid without AutoPay
    [InlineData("SecurityProtectionTypes.1", "AntiDDoS_Premium", "ISP", "BGP")]
    [InlineData("Tag.1.Key", "aliyun-owned", "ISP", "BGP")]
    [InlineData("Name", "https://x", "ISP", "BGP")]
    public void InvalidAllocateParametersAreRefusedWithInvalidParameter(string k1, string v1, string k2, string v2) =>
        Assert.Equal("InvalidParameter", Code(() => Allocate((k1, v1), (k2, v2))));

    [Fact]
    public void QuotaCountsTheSeedEip()
    {
        for (var i = 1; i < world.Quota; i++) Allocate();
        Assert.Equal("QuotaExceeded.Eip", Code(() => Allocate()));
    }

    [Fact]
    public void PrimaryIpBindingIsReportedEmpty_SecondaryIpIsReported()
    {
        var a = Allocate();
        var b = Allocate();
        cloud.Associate(P(("AllocationId", a), ("InstanceId", Primary.NetworkInterfaceId), ("InstanceType", "NetworkInterface"), ("PrivateIpAddress", Primary.PrimaryIp)));
        cloud.Associate(P(("AllocationId", b), ("InstanceId", Primary.NetworkInterfaceId), ("InstanceType", "NetworkInterface"), ("PrivateIpAddress", Primary.SecondaryIps[0])));
        Assert.Equal(("InUse", ""), (DescribeOne(a)["Status"]!.GetValue<string>(), DescribeOne(a)["PrivateIpAddress"]!.GetValue<string>()));
        Assert.Equal(Primary.SecondaryIps[0], DescribeOne(b)["PrivateIpAddress"]!.GetValue<string>());
        var admin = cloud.Snapshot()["eips"]!.AsArray().Single(e => e!["allocationId"]!.GetValue<string>() == a)!;
        Assert.Equal(Primary.PrimaryIp, admin["privateIpAddress"]!.GetValue<string>());
    }

    [Fact]
    public void AssociationGuards()
    {
        var a = Allocate();
        var b = Allocate();
        var ip = Secondary.SecondaryIps[3];
        (string, string)[] Bind(string id, string eni, string privateIp) =>
            [("AllocationId", id), ("InstanceId", eni), ("InstanceType", "NetworkInterface"), ("PrivateIpAddress", privateIp)];
        Assert.Equal("InvalidInstanceId.NotFound", Code(() => cloud.Associate(P(Bind(a, "eni-nope", ip)))));
        Assert.Equal("InvalidParams.NotFound", Code(() => cloud.Associate(P(Bind(a, Secondary.NetworkInterfaceId, "10.9.9.9")))));
        Assert.Equal("InvalidParameter", Code(() => cloud.Associate(P(Bind(a, Secondary.NetworkInterfaceId, Primary.SecondaryIps[0])))));
        // Without InstanceType the documented default is EcsInstance, so an ENI id is not found.
        Assert.Equal("InvalidInstanceId.NotFound", Code(() => cloud.Associate(P(("AllocationId", a), ("InstanceId", Secondary.NetworkInterfaceId)))));
        cloud.Associate(P(Bind(a, Secondary.NetworkInterfaceId, ip)));
        Assert.Equal("InvalidAssociation.Duplicated", Code(() => cloud.Associate(P(Bind(b, Secondary.NetworkInterfaceId, ip)))));
        Assert.Equal("IncorrectEipStatus", Code(() => cloud.Associate(P(Bind(a, Secondary.NetworkInterfaceId, Secondary.SecondaryIps[4])))));
        Assert.Equal("IncorrectEipStatus", Code(() => cloud.Release(P(("AllocationId", a)))));
        Assert.Equal("IncorrectEipStatus", Code(() => cloud.Unassociate(P(("AllocationId", b)))));
        Assert.Equal("InvalidAllocationId.NotFound", Code(() => cloud.Release(P(("AllocationId", "eip-missing")))));
    }

    [Fact]
    public async Task TransitionsLastTheConfiguredTime_AndMutationsMeanwhileConflict()
    {
        config.AssociateMs = 300;
        var a = Allocate();
        cloud.Associate(P(("AllocationId", a), ("InstanceId", Secondary.NetworkInterfaceId), ("InstanceType", "NetworkInterface"), ("PrivateIpAddress", Secondary.SecondaryIps[0])));
        Assert.Equal("Associating", DescribeOne(a)["Status"]!.GetValue<string>());
        Assert.Equal("IncorrectEipStatus", Code(() => cloud.Unassociate(P(("AllocationId", a)))));
        config.TaskConflictDuringTransition = true;
        Assert.Equal("TaskConflict", Code(() => cloud.Unassociate(P(("AllocationId", a)))));
        await Task.Delay(400);
        Assert.Equal("InUse", DescribeOne(a)["Status"]!.GetValue<string>());
    }

    [Fact]
    public void ReleaseInsideABandwidthPackageIsRefusedUntilRemoved()
    {
        var a = Allocate();
        var cbwp = world.BandwidthPackages[0].Id;
        cloud.AddToPackage(P(("RegionId", world.Region), ("BandwidthPackageId", cbwp), ("IpInstanceId", a)));
        Assert.Equal(cbwp, DescribeOne(a)["BandwidthPackageId"]!.GetValue<string>());
        Assert.Equal("OperationUnsupported.EipInCbwp", Code(() => cloud.Release(P(("AllocationId", a)))));
        cloud.RemoveFromPackage(P(("RegionId", world.Region), ("BandwidthPackageId", cbwp), ("IpInstanceId", a)));
        Assert.Equal("OperationUnsupported.IpNotInCbwp",
            Code(() => cloud.RemoveFromPackage(P(("RegionId", world.Region), ("BandwidthPackageId", cbwp), ("IpInstanceId", a)))));
        Assert.Equal("InvalidBandwidthPackageId.NotFound",
            Code(() => cloud.AddToPackage(P(("RegionId", world.Region), ("BandwidthPackageId", "cbwp-none"), ("IpInstanceId", a)))));
        cloud.Release(P(("AllocationId", a)));
        Assert.Equal(0, cloud.Describe(P(("RegionId", world.Region), ("AllocationId", a)))["TotalCount"]!.GetValue<int>());
    }

    [Fact]
    public void TagsFilterDescribe_AndAResourceHoldsAtMost20()
    {
        var a = Allocate(("Tag.1.Key", "cluster"), ("Tag.1.Value", "c1"));
        var b = Allocate(("Tag.1.Key", "cluster"), ("Tag.1.Value", "c2"));
        cloud.TagResources(P(("RegionId", world.Region), ("ResourceType", "eip"), ("ResourceId.1", a), ("ResourceId.2", b), ("Tag.1.Key", "pod"), ("Tag.1.Value", "ns/p")));
        var found = cloud.Describe(P(("RegionId", world.Region), ("Tag.1.Key", "cluster"), ("Tag.1.Value", "c1"), ("Tag.2.Key", "pod"), ("Tag.2.Value", "ns/p")));
        Assert.Equal(a, found["EipAddresses"]!["EipAddress"]!.AsArray().Single()!["AllocationId"]!.GetValue<string>());

        var many = Enumerable.Range(1, 19).SelectMany(i => new[] { ($"Tag.{i}.Key", $"k{i}"), ($"Tag.{i}.Value", "v") }).ToArray();
        Assert.Equal("QuotaExceeded.TagNum", Code(() => cloud.TagResources(P([("RegionId", world.Region), ("ResourceType", "EIP"), ("ResourceId.1", a), .. many]))));
    }

    JsonObject Admin(string id, bool history = false) =>
        (JsonObject)cloud.Snapshot(history)["eips"]!.AsArray().Single(e => e!["allocationId"]!.GetValue<string>() == id)!;

    (string, string)[] BindToSecondary(string id, int ip) =>
        [("AllocationId", id), ("InstanceId", Secondary.NetworkInterfaceId), ("InstanceType", "NetworkInterface"), ("PrivateIpAddress", Secondary.SecondaryIps[ip])];

    [Fact]
    public void History_lists_released_eips_with_their_times_and_tags()
    {
        var a = Allocate(("Tag.1.Key", "container-id"), ("Tag.1.Value", "c-1"));
        var b = Allocate();
        Assert.Null(Admin(a)["releaseTime"]);
        cloud.Release(P(("AllocationId", a)));

        Assert.DoesNotContain(cloud.Snapshot()["eips"]!.AsArray(), e => e!["allocationId"]!.GetValue<string>() == a);
        var gone = Admin(a, history: true);
        Assert.NotNull(gone["releaseTime"]);
        Assert.NotNull(gone["goneTime"]);
        Assert.Equal("c-1", gone["tags"]!["container-id"]!.GetValue<string>());
        Assert.Equal("api", gone["allocatedBy"]!.GetValue<string>());
        Assert.Null(Admin(b, history: true)["releaseTime"]);
        Assert.Equal(3, cloud.Snapshot(includeReleased: true)["eips"]!.AsArray().Count); // with the seed EIP

        cloud.Reset();
        Assert.Single(cloud.Snapshot(includeReleased: true)["eips"]!.AsArray());
    }

    [Fact]
    public async Task Console_unassociate_goes_through_Unassociating_or_is_immediate()
    {
        var a = Allocate();
        var b = Allocate();
        cloud.Associate(P(BindToSecondary(a, 5)));
        cloud.Associate(P(BindToSecondary(b, 6)));
        Assert.Equal("Available", cloud.ConsoleUnassociate(a, immediate: true)["status"]!.GetValue<string>());
        Assert.Null(Admin(a)["privateIpAddress"]);

        config.UnassociateMs = 300;
        Assert.Equal("Unassociating", cloud.ConsoleUnassociate(b, immediate: false)["status"]!.GetValue<string>());
        Assert.Equal("IncorrectEipStatus", Code(() => cloud.ConsoleUnassociate(b, immediate: true)));
        await Task.Delay(400);
        Assert.Equal("Available", Admin(b)["status"]!.GetValue<string>());
        Assert.Equal("IncorrectEipStatus", Code(() => cloud.ConsoleUnassociate(b, immediate: true)));
    }

    [Fact]
    public void Console_delete_unbinds_leaves_the_package_and_releases_a_bound_eip()
    {
        var a = Allocate();
        cloud.AddToPackage(P(("RegionId", world.Region), ("BandwidthPackageId", world.BandwidthPackages[0].Id), ("IpInstanceId", a)));
        cloud.Associate(P(BindToSecondary(a, 7)));

        cloud.ConsoleDelete(a);

        var gone = Admin(a, history: true);
        Assert.NotNull(gone["releaseTime"]);
        Assert.Null(gone["privateIpAddress"]);
        Assert.Null(gone["bandwidthPackageId"]);
        Assert.Equal(0, cloud.Describe(P(("RegionId", world.Region), ("AllocationId", a)))["TotalCount"]!.GetValue<int>());
        Assert.Equal("InvalidAllocationId.NotFound", Code(() => cloud.ConsoleDelete(a)));
        // The private IP is free for the next EIP.
        cloud.Associate(P(BindToSecondary(Allocate(), 7)));
    }

    [Fact]
    public void DescribePagesAtMost100()
    {
        for (var i = 0; i < 12; i++) Allocate();
        var page2 = cloud.Describe(P(("RegionId", world.Region), ("PageSize", "5"), ("PageNumber", "3")));
        Assert.Equal((13, 3), (page2["TotalCount"]!.GetValue<int>(), page2["EipAddresses"]!["EipAddress"]!.AsArray().Count));
        Assert.Equal("InvalidParameter", Code(() => cloud.Describe(P(("RegionId", world.Region), ("PageSize", "101")))));
    }
}

using EipCni.Cloud;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>Between the cloud's AllocateEipAddress request and the journal's copy of it: the same fields, both ways.</summary>
internal static class RecordedAllocations
{
    public static RecordedAllocation ToRecord(this AllocateEipRequest r) => new()
    {
        Bandwidth = r.Bandwidth, InternetChargeType = r.InternetChargeType, InstanceChargeType = r.InstanceChargeType, Isp = r.Isp,
        PublicIpAddressPoolId = r.PublicIpAddressPoolId, ResourceGroupId = r.ResourceGroupId, Name = r.Name, Description = r.Description,
        SecurityProtectionTypes = r.SecurityProtectionTypes, Tags = r.Tags, ClientToken = r.ClientToken,
    };

    public static AllocateEipRequest ToRequest(this RecordedAllocation r) => new()
    {
        Bandwidth = r.Bandwidth, InternetChargeType = r.InternetChargeType, InstanceChargeType = r.InstanceChargeType, Isp = r.Isp,
        PublicIpAddressPoolId = r.PublicIpAddressPoolId, ResourceGroupId = r.ResourceGroupId, Name = r.Name, Description = r.Description,
        SecurityProtectionTypes = r.SecurityProtectionTypes, Tags = r.Tags, ClientToken = r.ClientToken,
    };
}

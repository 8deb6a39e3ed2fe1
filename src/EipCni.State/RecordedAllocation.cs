namespace EipCni.State;

/// <summary>
/// An AllocateEipAddress request as the journal keeps it, field for field, so an allocation whose answer was lost can
/// be replayed verbatim (the cloud answers a replayed ClientToken with what the first call created). The journal's own
/// type: the state room does not know the cloud client; the engine converts.
/// </summary>
public sealed record RecordedAllocation
{
    public string? Bandwidth { get; init; }
    public string? InternetChargeType { get; init; }
    public string? InstanceChargeType { get; init; }
    public string? Isp { get; init; }
    public string? PublicIpAddressPoolId { get; init; }
    public string? ResourceGroupId { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string>? SecurityProtectionTypes { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? Tags { get; init; }
    public string? ClientToken { get; init; }
}

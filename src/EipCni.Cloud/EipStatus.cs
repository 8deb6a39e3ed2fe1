namespace EipCni.Cloud;

/// <summary>The documented states of an EIP (DescribeEipAddresses <c>Status</c>).</summary>
public enum EipStatus
{
    /// <summary>A status this client does not know: treated as "in transition, look again".</summary>
    Unknown,
    Available,
    Associating,
    InUse,
    Unassociating,
    Releasing,
}

/// <summary>Parses the API's status text.</summary>
public static class EipStatuses
{
    public static EipStatus Parse(string? text) => text switch
    {
        "Available" => EipStatus.Available,
        "Associating" => EipStatus.Associating,
        "InUse" => EipStatus.InUse,
        "Unassociating" => EipStatus.Unassociating,
        "Releasing" => EipStatus.Releasing,
        _ => EipStatus.Unknown,
    };
}

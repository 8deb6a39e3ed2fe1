namespace EipCni.Cloud;

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

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

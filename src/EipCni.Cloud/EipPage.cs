namespace EipCni.Cloud;

/// <summary>One page of DescribeEipAddresses: its EIPs, the cloud's count of all matches, and where it stands.</summary>
public sealed record EipPage(IReadOnlyList<EipAddress> Items, int TotalCount, int PageNumber, int PageSize)
{
    /// <summary>More pages follow: this one was full and the count goes past it.</summary>
    public bool HasMore => Items.Count >= PageSize && PageNumber * PageSize < TotalCount;
}

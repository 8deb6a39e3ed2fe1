using EipCni.Http;

namespace EipCni.Cloud;

/// <summary>
/// What the pages of one listing (DescribeEipAddresses, DescribeNetworkInterfaces) may cost together: pages, bytes
/// and JSON objects (<see cref="AnswerLimits"/>). The pages of one listing share one instance.
/// </summary>
public sealed class ListingBudget
{
    public int BytesLeft { get; private set; } = AnswerLimits.ListingBytes;

    public int ContainersLeft { get; private set; } = AnswerLimits.ListingContainers;

    public int Pages { get; private set; }

    /// <summary>Counts the page about to be asked for; past <see cref="AnswerLimits.ListingPages"/> the listing is refused.</summary>
    /// <param name="why">Why the server says there is more ("TotalCount 2147483647", "a NextToken").</param>
    public void NextPage(string action, string why)
    {
        if (++Pages > AnswerLimits.ListingPages)
            throw new CloudException(action, CloudErrorCodes.InvalidResponse,
                $"the listing goes on past {AnswerLimits.ListingPages} pages ({why}); eip-cni reads at most {AnswerLimits.ListingPages}", null, 200);
    }

    /// <summary>Records what one page cost.</summary>
    public void Spend(int bytes, int containers)
    {
        BytesLeft -= bytes;
        ContainersLeft -= containers;
    }
}

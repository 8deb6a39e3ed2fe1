namespace EipCni.Http;

/// <summary>
/// How much of a server's answer eip-cni reads. A node's plugin must not be made to swallow gigabytes by a broken or
/// hostile endpoint: beyond these the answer is refused (README "Limits"). Real answers are far smaller.
/// </summary>
public static class AnswerLimits
{
    /// <summary>An OpenAPI answer that is not a page: a request ID and a few fields (AllocateEipAddress, STS, errors).</summary>
    public const int CloudBytes = 64 * 1024;

    /// <summary>JSON objects and arrays in an OpenAPI answer that is not a page.</summary>
    public const int CloudContainers = 1_000;

    /// <summary>One page of DescribeEipAddresses or DescribeNetworkInterfaces (100 EIPs are about 150 KB).</summary>
    public const int PageBytes = 4 * 1024 * 1024;

    /// <summary>All pages of one listing together: what stays in memory until the listing is done.</summary>
    public const int ListingBytes = 8 * 1024 * 1024;

    /// <summary>JSON objects and arrays of all pages of one listing together (each becomes an object in memory).</summary>
    public const int ListingContainers = 200_000;

    /// <summary>Pages of one listing (at 100 a page: 5,000 EIPs or ENIs); a TotalCount or NextToken without end stops here.</summary>
    public const int ListingPages = 50;

    /// <summary>An answer of the instance metadata service: an ID, a short list, or a RAM role credential document.</summary>
    public const int MetadataBytes = 32 * 1024;

    /// <summary>A Kubernetes answer: a pod (etcd keeps objects under 1.5 MiB), an event, a lease.</summary>
    public const int KubeBytes = 4 * 1024 * 1024;

    /// <summary>Entries of one JSON object or array in a Kubernetes answer (a pod's annotations, labels, conditions...).</summary>
    public const int KubeItems = 10_000;

    /// <summary>"64 KiB", "4 MiB": a size as the limits are written.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1024 * 1024 when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        >= 1024 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes} bytes",
    };
}

using System.Net;

namespace EipCni;

/// <summary>
/// The one rule for API endpoints, checked when the config is parsed and again by the cloud client: a bare
/// scheme://host[:port] (no path, query or user info), HTTPS, and plain HTTP only towards loopback (the simulators)
/// or, for the metadata service only, its own address 100.100.100.200.
/// </summary>
public static class EndpointRule
{
    public const string MetadataAddress = "100.100.100.200";

    /// <summary>Null when <paramref name="endpoint"/> is acceptable for <paramref name="key"/>; else what is wrong, in words.</summary>
    public static string? Problem(Uri endpoint, string key)
    {
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("https" or "http") || string.IsNullOrEmpty(endpoint.Host))
            return "expected an http(s) URL";
        if (endpoint.AbsolutePath != "/" || !string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.Fragment) || !string.IsNullOrEmpty(endpoint.UserInfo))
            return "expected a bare scheme://host[:port], without a path, query or user info";
        if (endpoint.Scheme == "https" || IsLoopback(endpoint.Host)) return null;
        if (key.EndsWith("metadata", StringComparison.Ordinal) && endpoint.Host == MetadataAddress) return null;
        return $"plain http is refused except for loopback addresses{(key.EndsWith("metadata", StringComparison.Ordinal) ? " and the metadata service " + MetadataAddress : "")}: use https";
    }

    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

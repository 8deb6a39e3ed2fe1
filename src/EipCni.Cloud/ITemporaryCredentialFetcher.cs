using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

/// <summary>Fetches a temporary credential from its origin (STS, the metadata service).</summary>
public interface ITemporaryCredentialFetcher
{
    /// <summary>Identifies what the credential is for (source + role); a cache entry with another key is ignored.</summary>
    string CacheKey { get; }

    Task<CloudCredential> FetchAsync(CancellationToken cancellationToken);
}

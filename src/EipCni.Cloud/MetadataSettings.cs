using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using EipCni.Http;

namespace EipCni.Cloud;

/// <summary>Timeouts and retries of <see cref="InstanceMetadata"/>: the service is local, so short.</summary>
public sealed record MetadataSettings
{
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);
    public int Attempts { get; init; } = 3;
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>The shared policy with these numbers (the service never asks for a Retry-After).</summary>
    public RetryPolicy Policy => new(Attempts, Backoff, Backoff * 8, TimeSpan.Zero);
    /// <summary>Hardened-mode token lifetime asked for (1–21600 s); the token is reused for half of it.</summary>
    public TimeSpan TokenTtl { get; init; } = TimeSpan.FromSeconds(21600);
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EipCni.Http;

namespace EipCni.Cloud;

/// <summary>Retry and timeout settings of <see cref="OpenApiClient"/>.</summary>
public sealed record RetrySettings
{
    /// <summary>Each attempt's own limit (also bounded by the caller's budget).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First backoff; it doubles per attempt up to <see cref="BackoffMax"/>, with jitter.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(300);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>A safety net for callers without a deadline; normally the budget ends retries first.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>Upper bound on a server's <c>x-acs-retry-after</c> (the official SDK caps it at 120 s too).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(120);

    public RetryPolicy Policy => new(MaxAttempts, BackoffBase, BackoffMax, MaxRetryAfter);
}

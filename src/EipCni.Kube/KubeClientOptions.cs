using EipCni.Http;

namespace EipCni.Kube;

/// <summary>Tuning for <see cref="KubeClient"/>. The overall budget is the CancellationToken of each call.</summary>
public sealed class KubeClientOptions
{
    /// <summary>Limit for one HTTP attempt (connect, TLS, answer).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per call, including the first; the CancellationToken usually ends retries first.</summary>
    public int MaxAttempts { get; init; } = 8;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Upper bound for a server's Retry-After, so one answer cannot park the call for minutes.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(10);

    public RetryPolicy Policy => new(MaxAttempts, InitialBackoff, MaxBackoff, MaxRetryAfter);

    /// <summary>Node name, written as source.host and reportingInstance of events.</summary>
    public string? NodeName { get; init; }

    /// <summary>source.component and reportingComponent of events.</summary>
    public string Component { get; init; } = "eip-cni";

    public string UserAgent { get; init; } = "eip-cni";
}

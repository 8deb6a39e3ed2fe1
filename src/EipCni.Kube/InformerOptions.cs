using EipCni.Http;

namespace EipCni.Kube;

/// <summary>Timings of an <see cref="Informer{T}"/>; the defaults are client-go's reflector's.</summary>
public sealed record InformerOptions
{
    /// <summary>A watch asks the server to end it after this long times 1 to 2 (jittered, so the agents of a cluster do not re-watch together).</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Backoff after a failed list or watch: equal-jitter exponential from this...</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>...to this.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A watch the server ends sooner than this without a single event counts as a failure (backs off), not as a normal end.</summary>
    public TimeSpan ShortestWatch { get; init; } = TimeSpan.FromSeconds(1);

    internal RetryPolicy Backoff => new(int.MaxValue, InitialBackoff, MaxBackoff, MaxBackoff);
}

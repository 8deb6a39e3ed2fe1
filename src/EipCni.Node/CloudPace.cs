namespace EipCni.Node;

/// <summary>
/// Spaces the sweep's cloud calls evenly: at most so many DescribeEipAddresses and so many mutating calls a minute,
/// a small share of the account's limits, which every node's ADD and DEL use too (docs/cloud-api.md §7). A throttled
/// answer holds back the next call of its kind for the time the cloud asked (5 s when it does not say).
/// </summary>
public sealed class CloudPace
{
    /// <summary>How long a throttle holds the lane back when the cloud does not say (<c>x-acs-retry-after</c>).</summary>
    private static readonly TimeSpan DefaultHold = TimeSpan.FromSeconds(5);
    private readonly TimeProvider _time;
    private readonly Lane _describes;
    private readonly Lane _mutations;

    public CloudPace(int describesPerMinute, int mutationsPerMinute, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(describesPerMinute, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(mutationsPerMinute, 1);
        _time = time;
        _describes = new Lane(TimeSpan.FromMinutes(1) / describesPerMinute);
        _mutations = new Lane(TimeSpan.FromMinutes(1) / mutationsPerMinute);
    }

    /// <summary>Waits for the next DescribeEipAddresses slot.</summary>
    public Task DescribeAsync(CancellationToken ct) => WaitAsync(_describes, ct);

    /// <summary>Waits for the next slot of a mutating call (unbind, release, tags, bandwidth package).</summary>
    public Task MutationAsync(CancellationToken ct) => WaitAsync(_mutations, ct);

    /// <summary>
    /// The cloud refused a call by flow control (this process's, any attempt): nothing of that kind (a describe, or a
    /// mutation) until it may succeed.
    /// </summary>
    public void Throttled(string action, TimeSpan? retryAfter)
    {
        var lane = action == "DescribeEipAddresses" ? _describes : _mutations;
        var until = _time.GetUtcNow() + (retryAfter is { } r && r > TimeSpan.Zero ? r : DefaultHold);
        lock (lane)
            if (until > lane.Next) lane.Next = until;
    }

    private async Task WaitAsync(Lane lane, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset at;
        lock (lane)
        {
            at = lane.Next > now ? lane.Next : now;
            lane.Next = at + lane.Spacing;
        }
        if (at > now) await Task.Delay(at - now, _time, ct).ConfigureAwait(false);
        else ct.ThrowIfCancellationRequested();
    }

    private sealed class Lane(TimeSpan spacing)
    {
        public TimeSpan Spacing { get; } = spacing;
        public DateTimeOffset Next { get; set; }
    }
}

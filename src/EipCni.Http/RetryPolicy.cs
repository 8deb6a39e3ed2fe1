namespace EipCni.Http;

/// <summary>
/// The one retry policy of the cloud, metadata and Kubernetes clients: how many attempts, and how long to wait after a
/// failed one. Each client keeps its own loop (what counts as retryable differs) and its own numbers (the metadata
/// service is local, the API server close, the cloud far), but waits the same way: the server's Retry-After when it
/// gave one (capped, plus up to 10% so clients told the same moment do not return together), else exponential backoff
/// with "equal jitter" (half fixed, half random), so the plugins of a node spread out but still back off.
/// </summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan InitialBackoff, TimeSpan MaxBackoff, TimeSpan MaxRetryAfter)
{
    /// <summary>True when the call may try again after attempt number <paramref name="attempt"/> (1-based) failed.</summary>
    public bool MayRetry(int attempt) => attempt < MaxAttempts;

    /// <summary>How long to wait after attempt <paramref name="attempt"/> (1-based) failed.</summary>
    public TimeSpan Delay(int attempt, TimeSpan? retryAfter, Random? random = null)
    {
        random ??= Random.Shared;
        if (retryAfter is { } asked && asked > TimeSpan.Zero)
        {
            var capped = asked < MaxRetryAfter ? asked : MaxRetryAfter;
            return capped + TimeSpan.FromMilliseconds(random.NextDouble() * 0.1 * capped.TotalMilliseconds);
        }
        var ceiling = Math.Min(InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)), MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling / 2 + random.NextDouble() * ceiling / 2);
    }

    /// <summary>
    /// Waits <see cref="Delay"/> on <paramref name="time"/>. False when the caller's budget ends first: the call then
    /// gives up with its last failure instead of a cancellation.
    /// </summary>
    public async Task<bool> WaitAsync(int attempt, TimeSpan? retryAfter, TimeProvider time, CancellationToken ct)
    {
        try
        {
            await Task.Delay(Delay(attempt, retryAfter), time, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

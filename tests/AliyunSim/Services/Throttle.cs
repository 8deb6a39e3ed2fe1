namespace AliyunSim.Services;

/// <summary>One token bucket per action (capacity = the per-minute limit, refilled evenly over 60 s).</summary>
public sealed class Throttle(SimConfig config)
{
    sealed class Bucket { public double Tokens; public long Stamp; public int Limit; }

    readonly Lock gate = new();
    readonly Dictionary<string, Bucket> buckets = new(StringComparer.Ordinal);

    /// <summary>Takes a token; returns null when allowed, else the milliseconds until one is available.</summary>
    public long? TryTake(string action)
    {
        if (!config.Throttle) return null;
        var limit = config.LimitPerMinute(action);
        var now = Environment.TickCount64;
        lock (gate)
        {
            if (!buckets.TryGetValue(action, out var b) || b.Limit != limit)
                buckets[action] = b = new Bucket { Tokens = limit, Stamp = now, Limit = limit };
            var perMs = limit / 60_000.0;
            b.Tokens = Math.Min(limit, b.Tokens + (now - b.Stamp) * perMs);
            b.Stamp = now;
            if (b.Tokens >= 1) { b.Tokens -= 1; return null; }
            return perMs <= 0 ? 60_000 : Math.Max(1, (long)Math.Ceiling((1 - b.Tokens) / perMs));
        }
    }

    public void Reset() { lock (gate) buckets.Clear(); }
}

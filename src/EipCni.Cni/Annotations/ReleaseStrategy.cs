namespace EipCni.Cni;

/// <summary>
/// The pod-eip-release-strategy annotation: Follow, Never, or a Go duration. <see cref="ToString"/> gives the
/// annotation form back ("Follow", "Never", "10m0s"), which is also what the ownership tag stores.
/// </summary>
public sealed record ReleaseStrategy
{
    /// <summary>Shortest retention accepted: anything shorter is Follow with extra steps.</summary>
    public static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(1);

    /// <summary>Longest retention accepted (one year); longer is what Never is for.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(8760);

    public static readonly ReleaseStrategy Follow = new(ReleaseKind.Follow, null);
    public static readonly ReleaseStrategy Never = new(ReleaseKind.Never, null);

    private ReleaseStrategy(ReleaseKind kind, TimeSpan? ttl)
    {
        Kind = kind;
        Ttl = ttl;
    }

    public ReleaseKind Kind { get; }

    /// <summary>How long the EIP is kept after the pod is gone; set only when <see cref="Kind"/> is Ttl.</summary>
    public TimeSpan? Ttl { get; }

    /// <summary>A retention of <paramref name="ttl"/>, which must lie within <see cref="MinTtl"/>..<see cref="MaxTtl"/>.</summary>
    public static ReleaseStrategy Keep(TimeSpan ttl)
    {
        if (ttl < MinTtl || ttl > MaxTtl)
            throw new ArgumentOutOfRangeException(nameof(ttl), $"a retention must lie between {GoDuration.Format(MinTtl)} and {GoDuration.Format(MaxTtl)}");
        return new ReleaseStrategy(ReleaseKind.Ttl, ttl);
    }

    /// <summary>
    /// Reads the annotation (or ownership tag) form. On failure <paramref name="error"/> says why in words fit for the
    /// user; the value is not echoed (the caller names the key and value).
    /// </summary>
    public static bool TryParse(string? text, out ReleaseStrategy strategy, out string error)
    {
        strategy = Follow;
        error = "";
        var t = text?.Trim() ?? "";
        if (t.Equals("Follow", StringComparison.OrdinalIgnoreCase)) return true;
        if (t.Equals("Never", StringComparison.OrdinalIgnoreCase))
        {
            strategy = Never;
            return true;
        }
        const string allowed = "expected Follow, Never, or a Go duration from 1s to 8760h such as 10m, 5m30s, 1.5h";
        if (!GoDuration.TryParse(t, out var ttl))
        {
            error = $"not Follow, Never or a Go duration; {allowed}";
            return false;
        }
        if (ttl < TimeSpan.Zero || t.StartsWith('-'))
        {
            error = $"a negative duration cannot be a retention; {allowed}";
            return false;
        }
        if (ttl < MinTtl)
        {
            error = $"{GoDuration.Format(ttl)} is shorter than 1s; use Follow to release with the pod; {allowed}";
            return false;
        }
        if (ttl > MaxTtl)
        {
            error = $"{GoDuration.Format(ttl)} is longer than 8760h (one year); use Never to keep the EIP; {allowed}";
            return false;
        }
        strategy = new ReleaseStrategy(ReleaseKind.Ttl, ttl);
        return true;
    }

    public override string ToString() => Kind switch
    {
        ReleaseKind.Follow => "Follow",
        ReleaseKind.Never => "Never",
        _ => GoDuration.Format(Ttl!.Value),
    };
}

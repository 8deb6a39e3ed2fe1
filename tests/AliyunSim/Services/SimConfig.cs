namespace AliyunSim.Services;

/// <summary>Run-time knobs: start-up flags, changed later through POST /_sim/config.</summary>
public sealed class SimConfig
{
    readonly Lock gate = new();
    int associateMs = 1000, unassociateMs = 1000, releaseMs = 500, latencyMs, credentialTtlSeconds = 3600;
    bool throttle = true, hardenedMetadata, releaseInCbwpAllowed, taskConflictDuringTransition;
    Dictionary<string, int> limitOverrides = new(StringComparer.Ordinal);

    public int AssociateMs { get { lock (gate) return associateMs; } set { lock (gate) associateMs = value; } }
    public int UnassociateMs { get { lock (gate) return unassociateMs; } set { lock (gate) unassociateMs = value; } }
    public int ReleaseMs { get { lock (gate) return releaseMs; } set { lock (gate) releaseMs = value; } }
    public int LatencyMs { get { lock (gate) return latencyMs; } set { lock (gate) latencyMs = value; } }
    public bool Throttle { get { lock (gate) return throttle; } set { lock (gate) throttle = value; } }
    public bool HardenedMetadata { get { lock (gate) return hardenedMetadata; } set { lock (gate) hardenedMetadata = value; } }
    public int CredentialTtlSeconds { get { lock (gate) return credentialTtlSeconds; } set { lock (gate) credentialTtlSeconds = value; } }
    /// <summary>Whether ReleaseEipAddress accepts an EIP still in a bandwidth package (default: refused, see README).</summary>
    public bool ReleaseInCbwpAllowed { get { lock (gate) return releaseInCbwpAllowed; } set { lock (gate) releaseInCbwpAllowed = value; } }
    /// <summary>Answer a mutating call on an EIP in transition with TaskConflict instead of IncorrectEipStatus.</summary>
    public bool TaskConflictDuringTransition { get { lock (gate) return taskConflictDuringTransition; } set { lock (gate) taskConflictDuringTransition = value; } }

    /// <summary>Documented per-account limits per 60 s (docs/cloud-api.md §7); others 300.</summary>
    public static readonly IReadOnlyDictionary<string, int> DocumentedLimits = new Dictionary<string, int>
    {
        ["AllocateEipAddress"] = 120,
        ["AssociateEipAddress"] = 120,
        ["UnassociateEipAddress"] = 120,
        ["DescribeEipAddresses"] = 600,
        ["ReleaseEipAddress"] = 600,
    };

    public int LimitPerMinute(string action)
    {
        lock (gate)
            if (limitOverrides.TryGetValue(action, out var v)) return v;
        return DocumentedLimits.TryGetValue(action, out var d) ? d : 300;
    }

    public void SetLimit(string action, int perMinute) { lock (gate) limitOverrides[action] = perMinute; }
    public void ClearLimits() { lock (gate) limitOverrides = new(StringComparer.Ordinal); }
}

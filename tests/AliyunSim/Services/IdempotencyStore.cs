using System.Text.Json.Nodes;

namespace AliyunSim.Services;

/// <summary>ClientToken idempotency keyed by (account, action, token): replay, mismatch, or still in flight (docs/cloud-api.md §5).</summary>
public sealed class IdempotencyStore
{
    sealed class Entry { public required string Fingerprint; public JsonObject? Response; }

    readonly Lock gate = new();
    readonly Dictionary<(string, string, string), Entry> entries = [];

    public enum Outcome { Fresh, Replay, Mismatch, InFlight }

    /// <summary>Starts a call. Fresh: the caller must later <see cref="Complete"/> or <see cref="Abandon"/>.</summary>
    public (Outcome Outcome, JsonObject? Stored) Begin(string account, string action, string token, string fingerprint)
    {
        lock (gate)
        {
            if (!entries.TryGetValue((account, action, token), out var e))
            {
                entries[(account, action, token)] = new Entry { Fingerprint = fingerprint };
                return (Outcome.Fresh, null);
            }
            if (e.Fingerprint != fingerprint) return (Outcome.Mismatch, null);
            if (e.Response is null) return (Outcome.InFlight, null);
            return (Outcome.Replay, (JsonObject)e.Response.DeepClone());
        }
    }

    public void Complete(string account, string action, string token, JsonObject response)
    {
        lock (gate)
            if (entries.TryGetValue((account, action, token), out var e)) e.Response = (JsonObject)response.DeepClone();
    }

    /// <summary>The call failed before it changed anything: the token may be used again.</summary>
    public void Abandon(string account, string action, string token)
    {
        lock (gate) entries.Remove((account, action, token));
    }

    public void Clear() { lock (gate) entries.Clear(); }
}

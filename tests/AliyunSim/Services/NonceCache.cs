namespace AliyunSim.Services;

/// <summary>Signature nonces seen per AccessKey, kept for the signature's validity window (replay → SignatureNonceUsed).</summary>
public sealed class NonceCache
{
    readonly Lock gate = new();
    readonly Dictionary<(string, string), DateTimeOffset> seen = [];
    DateTimeOffset nextSweep = DateTimeOffset.MinValue;

    /// <summary>Records the nonce; false when it was already used and has not expired.</summary>
    public bool TryUse(string accessKeyId, string nonce, TimeSpan keepFor)
    {
        var now = DateTimeOffset.UtcNow;
        lock (gate)
        {
            if (now >= nextSweep)
            {
                foreach (var key in seen.Where(kv => kv.Value <= now).Select(kv => kv.Key).ToList()) seen.Remove(key);
                nextSweep = now.AddMinutes(1);
            }
            if (seen.TryGetValue((accessKeyId, nonce), out var until) && until > now) return false;
            seen[(accessKeyId, nonce)] = now + keepFor;
            return true;
        }
    }

    public void Clear() { lock (gate) seen.Clear(); }
}

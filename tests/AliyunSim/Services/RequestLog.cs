using System.Text.Json.Nodes;

namespace AliyunSim.Services;

/// <summary>Every OpenAPI request the simulator answered (GET /_sim/requests), without signatures or tokens.</summary>
public sealed class RequestLog
{
    readonly Lock gate = new();
    readonly List<JsonObject> entries = [];
    long seq;

    public long NextSeq() => Interlocked.Increment(ref seq);

    public void Add(JsonObject entry) { lock (gate) entries.Add(entry); }

    public JsonObject Since(long since)
    {
        lock (gate)
            return new JsonObject
            {
                ["requests"] = new JsonArray(entries.Where(e => e["seq"]!.GetValue<long>() > since).Select(e => e.DeepClone()).ToArray()),
            };
    }

    public void Clear() { lock (gate) entries.Clear(); }
}

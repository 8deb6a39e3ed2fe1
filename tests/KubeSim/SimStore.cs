using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>One recorded API request, for tests to assert what the client sent and as whom.</summary>
public sealed record RequestRecord(string Method, string Path, string Query, string? ContentType, int Status, string? User, string? Body,
    RequestAttributes? Attributes);

/// <summary>An injected fault: matching requests get this status (and/or latency) until the count runs out.</summary>
public sealed class Fault
{
    public string? Method { get; init; }
    public string? PathContains { get; init; }
    public int Status { get; init; }
    public int Count { get; set; }
    public int LatencyMs { get; init; }
    public int? RetryAfterSeconds { get; init; }
    public bool Abort { get; init; }
    public bool Unlimited { get; init; }
}

/// <summary>
/// The simulator's whole state behind one lock: objects per type, one cluster-wide resourceVersion counter (like etcd),
/// a bounded change history per type (like the watch cache), open watches, recordings and faults.
/// Stored objects are never mutated in place: every write stores a new object, so history and readers can share them.
/// </summary>
public sealed partial class SimStore
{
    private readonly object _gate = new();
    private readonly Dictionary<ResourceType, ResourceTable> _tables = new();
    private readonly Dictionary<(string Ns, string Name), JsonObject> _events = new();
    private readonly List<JsonObject> _eventLog = new();
    private readonly List<RequestRecord> _requests = new();
    private readonly List<Fault> _faults = new();
    private readonly JsonObject _seed;
    private readonly int _historyLimit;
    private long _resourceVersion = 1000;

    /// <param name="seed">{"pods":[...],"nodes":[...],"configmaps":[...]}, loaded now and on every reset.</param>
    /// <param name="historyLimit">How many changes per type a watch can replay (the watch cache's capacity).</param>
    public SimStore(JsonObject seed, int historyLimit = 1000)
    {
        _seed = seed;
        _historyLimit = Math.Max(1, historyLimit);
        Reset();
    }

    /// <summary>The cluster's current resourceVersion: the last write's.</summary>
    public long ResourceVersion
    {
        get { lock (_gate) return _resourceVersion; }
    }

    public void Reset()
    {
        lock (_gate)
        {
            foreach (var table in _tables.Values)
                foreach (var w in table.Watchers)
                    w.Close();
            _tables.Clear();
            foreach (var type in ResourceType.All) _tables[type] = new ResourceTable(type, _resourceVersion);
            _events.Clear();
            _eventLog.Clear();
            _requests.Clear();
            _faults.Clear();
            foreach (var (key, type) in new[] { ("nodes", ResourceType.Nodes), ("configmaps", ResourceType.ConfigMaps), ("pods", ResourceType.Pods) })
                if (_seed[key] is JsonArray items)
                    foreach (var item in items)
                        if (item is JsonObject o) PutLocked(type, (JsonObject)o.DeepClone());
        }
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");

    private static JsonObject Clone(JsonObject o) => (JsonObject)o.DeepClone();

    /// <summary>The object with kind, apiVersion and metadata first, as the apiserver writes them.</summary>
    private static JsonObject Shaped(ResourceType type, JsonObject obj)
    {
        var shaped = new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion, ["metadata"] = obj["metadata"]?.DeepClone() };
        foreach (var (key, value) in obj)
            if (key is not ("kind" or "apiVersion" or "metadata")) shaped[key] = value?.DeepClone();
        return shaped;
    }

    private static string NameOf(JsonObject o) => o["metadata"]?["name"]?.GetValue<string>() ?? "";

    private static string NamespaceOf(JsonObject o) => o["metadata"]?["namespace"]?.GetValue<string>() ?? "";

    private static string VersionOf(JsonObject o) => o["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "";

    /// <summary>
    /// The one way objects change: takes the next resourceVersion, stores (or removes, when next is null) the object,
    /// appends the change to the type's history and offers it to the open watches. Returns what was stored (or the deleted state).
    /// </summary>
    private JsonObject Write(ResourceTable table, string key, JsonObject? next, JsonObject? previous)
    {
        var rv = ++_resourceVersion;
        Change change;
        if (next is null)
        {
            // A DELETED event carries the last state with the deletion's resourceVersion, as the etcd watcher reports it.
            var deleted = Clone(previous!);
            deleted["metadata"]!["resourceVersion"] = rv.ToString();
            table.Objects.Remove(key);
            change = new Change("DELETED", deleted, previous, rv);
        }
        else
        {
            next["metadata"]!["resourceVersion"] = rv.ToString();
            table.Objects[key] = next;
            change = new Change(previous is null ? "ADDED" : "MODIFIED", next, previous, rv);
        }
        table.History.Enqueue(change);
        while (table.History.Count > _historyLimit)
        {
            table.History.Dequeue();
            table.Floor = table.History.Peek().ResourceVersion - 1;
        }
        foreach (var w in table.Watchers) w.Offer(change);
        return change.Object;
    }

    // ---- admin ----

    /// <summary>Creates or replaces an object as the admin API does: no validation, uid and creationTimestamp filled only when absent.</summary>
    public JsonObject Put(ResourceType type, JsonObject obj)
    {
        lock (_gate) return Clone(PutLocked(type, obj));
    }

    private JsonObject PutLocked(ResourceType type, JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject ?? throw ApiError.BadRequest($"{type.Kind.ToLowerInvariant()} has no metadata");
        var name = meta["name"]?.GetValue<string>() ?? throw ApiError.BadRequest($"{type.Kind.ToLowerInvariant()} has no metadata.name");
        var ns = type.Namespaced ? meta["namespace"]?.GetValue<string>() ?? "default" : "";
        if (type.Namespaced) meta["namespace"] = ns;
        else meta.Remove("namespace");
        meta["uid"] ??= Guid.NewGuid().ToString();
        meta["creationTimestamp"] ??= Now();
        var table = _tables[type];
        var key = table.Key(ns, name);
        return Write(table, key, Shaped(type, obj), table.Objects.GetValueOrDefault(key));
    }

    /// <summary>Removes an object at once (no finalizers, no grace), as the admin API does.</summary>
    public bool Remove(ResourceType type, string ns, string name)
    {
        lock (_gate)
        {
            var table = _tables[type];
            var key = table.Key(ns, name);
            if (!table.Objects.TryGetValue(key, out var current)) return false;
            Write(table, key, null, current);
            return true;
        }
    }

    public JsonObject? Find(ResourceType type, string ns, string name)
    {
        lock (_gate)
        {
            var table = _tables[type];
            return table.Objects.TryGetValue(table.Key(ns, name), out var o) ? Clone(o) : null;
        }
    }

    public JsonArray Events()
    {
        lock (_gate) return new JsonArray(_eventLog.Select(e => (JsonNode)e.DeepClone()).ToArray());
    }

    public void Record(RequestRecord r)
    {
        lock (_gate) _requests.Add(r);
    }

    public List<RequestRecord> Requests()
    {
        lock (_gate) return _requests.ToList();
    }

    public void AddFault(Fault f)
    {
        lock (_gate) _faults.Add(f);
    }

    public void ClearFaults()
    {
        lock (_gate) _faults.Clear();
    }

    /// <summary>Takes one use of the first fault matching this request, if any.</summary>
    public Fault? TakeFault(string method, string path)
    {
        lock (_gate)
        {
            foreach (var f in _faults)
            {
                if (f.Method is not null && !string.Equals(f.Method, method, StringComparison.OrdinalIgnoreCase)) continue;
                if (f.PathContains is not null && !path.Contains(f.PathContains, StringComparison.Ordinal)) continue;
                if (!f.Unlimited)
                {
                    if (f.Count <= 0) continue;
                    f.Count--;
                }
                return f;
            }
            return null;
        }
    }
}

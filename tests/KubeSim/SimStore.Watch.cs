using System.Text.Json.Nodes;

namespace KubeSim;

public sealed partial class SimStore
{
    /// <summary>
    /// Opens a watch. Without a resourceVersion (or "0") it starts with a synthetic ADDED for every selected object; from N it replays
    /// the changes after N, or, when the history no longer reaches back to N, sends one ERROR event with a 410 Expired Status and ends.
    /// Registration and replay happen under the store's lock, so no change falls between them.
    /// </summary>
    public Watcher Watch(ResourceType type, string? ns, FieldSelector fields, LabelSelector labels, string? resourceVersion, string user, string query)
    {
        lock (_gate)
        {
            var table = _tables[type];
            var watcher = new Watcher(type, type.Namespaced && !string.IsNullOrEmpty(ns) ? ns : null, fields, labels, user, query);
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var obj in table.Objects.Values)
                    watcher.Offer(new Change("ADDED", obj, null, 0));
            }
            else
            {
                var from = ParseVersion(resourceVersion);
                ApiError? refusal = from < table.Floor ? ApiError.Expired($"too old resource version: {from} ({table.Floor})")
                    : from > _resourceVersion ? ApiError.TooLargeResourceVersion(from, _resourceVersion)
                    : null;
                if (refusal is not null)
                {
                    watcher.Send("ERROR", refusal.ToStatus());
                    watcher.Close();
                    return watcher;
                }
                foreach (var change in table.History.Where(c => c.ResourceVersion > from))
                    watcher.Offer(change);
            }
            table.Watchers.Add(watcher);
            return watcher;
        }
    }

    public void Unwatch(Watcher watcher)
    {
        lock (_gate)
        {
            if (_tables.TryGetValue(watcher.Type, out var table)) table.Watchers.Remove(watcher);
        }
    }

    /// <summary>
    /// Queues a BOOKMARK at the cluster's current resourceVersion. Queued under the lock behind every change already offered,
    /// so a client that resumes from it misses nothing.
    /// </summary>
    public void Bookmark(Watcher watcher)
    {
        lock (_gate)
        {
            if (!_tables[watcher.Type].Watchers.Contains(watcher)) return;
            watcher.Send("BOOKMARK", new JsonObject
            {
                ["kind"] = watcher.Type.Kind,
                ["apiVersion"] = watcher.Type.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString() },
            });
        }
    }

    /// <summary>Waits (as the apiserver does, up to a bound) for the cluster to reach a resourceVersion a client asked for; false if it did not.</summary>
    public async Task<bool> WaitForVersionAsync(long resourceVersion, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        while (ResourceVersion < resourceVersion)
        {
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(50, cancellationToken);
        }
        return true;
    }

    /// <summary>Forgets the change history (of one type, or all): watches and continue tokens from before now answer 410 Expired.</summary>
    public long Compact(ResourceType? type)
    {
        lock (_gate)
        {
            foreach (var table in _tables.Values.Where(t => type is null || t.Type == type))
            {
                table.History.Clear();
                table.Floor = _resourceVersion;
            }
            return _resourceVersion;
        }
    }

    /// <summary>Ends open watch streams (of one type, or all), as an apiserver restart or its request timeout would; returns how many.</summary>
    public int CloseWatches(ResourceType? type)
    {
        lock (_gate)
        {
            var count = 0;
            foreach (var table in _tables.Values.Where(t => type is null || t.Type == type))
            {
                foreach (var w in table.Watchers) w.Close();
                count += table.Watchers.Count;
                table.Watchers.Clear();
            }
            return count;
        }
    }

    public JsonArray Watches()
    {
        lock (_gate)
            return new JsonArray(_tables.Values.SelectMany(t => t.Watchers).Select(w => (JsonNode)w.Describe()).ToArray());
    }
}

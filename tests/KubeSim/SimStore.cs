using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>One recorded API request, for tests to assert what the client sent.</summary>
public sealed record RequestRecord(string Method, string Path, string? ContentType, int Status, string? User, string? Body);

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

/// <summary>The simulator's whole state behind one lock: objects, one global resourceVersion counter (like etcd), recordings and faults.</summary>
public sealed class SimStore
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Ns, string Name), JsonObject> _pods = new();
    private readonly Dictionary<(string Ns, string Name), JsonObject> _leases = new();
    private readonly Dictionary<(string Ns, string Name), JsonObject> _events = new();
    private readonly List<JsonObject> _eventLog = new();
    private readonly List<RequestRecord> _requests = new();
    private readonly List<Fault> _faults = new();
    private readonly JsonArray _seedPods;
    private long _resourceVersion = 1000;

    public SimStore(JsonArray seedPods)
    {
        _seedPods = seedPods;
        Reset();
    }

    public void Reset()
    {
        lock (_gate)
        {
            _pods.Clear();
            _leases.Clear();
            _events.Clear();
            _eventLog.Clear();
            _requests.Clear();
            _faults.Clear();
            foreach (var pod in _seedPods)
                if (pod is JsonObject o) PutPodLocked((JsonObject)o.DeepClone());
        }
    }

    private string NextVersion() => (++_resourceVersion).ToString();

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");

    // ---- admin ----

    public JsonObject PutPod(JsonObject pod)
    {
        lock (_gate) return (JsonObject)PutPodLocked(pod).DeepClone();
    }

    private JsonObject PutPodLocked(JsonObject pod)
    {
        var meta = pod["metadata"] as JsonObject ?? throw ApiError.BadRequest("pod has no metadata");
        var name = meta["name"]?.GetValue<string>() ?? throw ApiError.BadRequest("pod has no metadata.name");
        var ns = meta["namespace"]?.GetValue<string>() ?? "default";
        meta["namespace"] = ns;
        meta["uid"] ??= Guid.NewGuid().ToString();
        meta["creationTimestamp"] ??= Now();
        meta["resourceVersion"] = NextVersion();
        pod["apiVersion"] = "v1";
        pod["kind"] = "Pod";
        _pods[(ns, name)] = pod;
        return pod;
    }

    public bool DeletePod(string ns, string name)
    {
        lock (_gate) return _pods.Remove((ns, name));
    }

    public JsonObject? FindPod(string ns, string name)
    {
        lock (_gate) return _pods.TryGetValue((ns, name), out var p) ? (JsonObject)p.DeepClone() : null;
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

    // ---- pods ----

    public JsonObject GetPod(string ns, string name) =>
        FindPod(ns, name) ?? throw ApiError.NotFound("pods", name);

    /// <summary>Applies a patch the way the apiserver does: precondition on resourceVersion, subresource scoping, validation, no-op detection.</summary>
    public JsonObject PatchPod(string ns, string name, string patchType, JsonNode? patch, bool statusSubresource)
    {
        lock (_gate)
        {
            if (!_pods.TryGetValue((ns, name), out var current)) throw ApiError.NotFound("pods", name);
            var currentVersion = current["metadata"]!["resourceVersion"]!.GetValue<string>();
            var patchError = (string message) => ApiError.Invalid("Pod", name, "", ("patch", "FieldValueInvalid", message));

            JsonNode? patched;
            switch (patchType)
            {
                case "merge":
                    if (patch is not JsonObject) throw ApiError.BadRequest("json: cannot unmarshal into Go value of type map[string]interface {}");
                    patched = Patching.MergePatch(current, patch);
                    break;
                case "strategic":
                    if (patch is not JsonObject) throw ApiError.BadRequest("json: cannot unmarshal into Go value of type map[string]interface {}");
                    patched = Patching.StrategicMerge(current, patch);
                    break;
                default:
                    if (patch is not JsonArray ops) throw ApiError.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
                    patched = Patching.JsonPatch(current, ops, patchError);
                    break;
            }
            if (patched is not JsonObject next) throw patchError("the patch did not produce an object");

            // A resourceVersion in the patched object is a precondition, as in the real apiserver.
            var meta = next["metadata"] as JsonObject ?? throw patchError("metadata: must be an object");
            if (meta["resourceVersion"] is JsonValue rv && rv.ToString() != currentVersion)
                throw ApiError.Conflict("pods", name);

            ValidatePod(name, next, current);

            // The main resource ignores status changes; pods/status ignores everything but status.
            if (statusSubresource)
            {
                var onlyStatus = (JsonObject)current.DeepClone();
                onlyStatus["status"] = next["status"]?.DeepClone();
                next = onlyStatus;
            }
            else
            {
                next["status"] = current["status"]?.DeepClone();
            }

            next["metadata"]!["resourceVersion"] = currentVersion;
            if (JsonNode.DeepEquals(next, current)) return (JsonObject)current.DeepClone();
            next["metadata"]!["resourceVersion"] = NextVersion();
            _pods[(ns, name)] = next;
            return (JsonObject)next.DeepClone();
        }
    }

    private static void ValidatePod(string name, JsonObject next, JsonObject current)
    {
        var causes = new List<(string, string, string)>();
        var meta = (JsonObject)next["metadata"]!;
        var oldMeta = (JsonObject)current["metadata"]!;
        foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp" })
            if (!JsonNode.DeepEquals(meta[field], oldMeta[field]))
                causes.Add(($"metadata.{field}", "FieldValueInvalid", $"Invalid value: {meta[field]?.ToJsonString() ?? "null"}: field is immutable"));
        foreach (var field in new[] { "annotations", "labels" })
        {
            var node = meta[field];
            if (node is null) continue;
            if (node is not JsonObject map)
            {
                causes.Add(($"metadata.{field}", "FieldValueTypeInvalid", $"Invalid value: {node.ToJsonString()}: must be a map of string to string"));
                continue;
            }
            foreach (var (key, value) in map)
                if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                    causes.Add(($"metadata.{field}[{key}]", "FieldValueTypeInvalid", $"Invalid value: {value?.ToJsonString() ?? "null"}: must be a string"));
        }
        if (next["status"]?["conditions"] is JsonNode conditions)
        {
            if (conditions is not JsonArray list)
                causes.Add(("status.conditions", "FieldValueTypeInvalid", "Invalid value: must be a list"));
            else
                for (var i = 0; i < list.Count; i++)
                    foreach (var field in new[] { "type", "status" })
                        if (list[i]?[field] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>().Length == 0)
                            causes.Add(($"status.conditions[{i}].{field}", "FieldValueRequired", "Required value"));
        }
        if (causes.Count > 0) throw ApiError.Invalid("Pod", name, "", causes.ToArray());
    }

    // ---- events ----

    /// <summary>Creates a core/v1 Event or an events.k8s.io/v1 Event; both land in the same store, as in the apiserver.</summary>
    public JsonObject CreateEvent(string ns, JsonObject ev, bool eventsApi)
    {
        lock (_gate)
        {
            var group = eventsApi ? "events.k8s.io" : "";
            var meta = ev["metadata"] as JsonObject ?? new JsonObject();
            ev["metadata"] = meta;
            if (meta["namespace"] is JsonValue nsValue && nsValue.ToString() != ns)
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            meta["namespace"] = ns;
            var name = meta["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
            {
                var prefix = meta["generateName"]?.GetValue<string>();
                if (string.IsNullOrEmpty(prefix))
                    throw ApiError.Invalid("Event", "", group, ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
                name = prefix + Guid.NewGuid().ToString("N")[..5];
                meta["name"] = name;
            }

            var causes = new List<(string, string, string)>();
            var type = ev["type"]?.GetValue<string>();
            if (eventsApi)
            {
                foreach (var field in new[] { "eventTime", "reportingController", "reportingInstance", "action", "reason" })
                    if (string.IsNullOrEmpty(ev[field]?.ToString())) causes.Add((field, "FieldValueRequired", "Required value"));
                if (type is not ("Normal" or "Warning")) causes.Add(("type", "FieldValueNotSupported", $"Unsupported value: \"{type}\": supported values: \"Normal\", \"Warning\""));
                if (ev["regarding"]?["namespace"]?.ToString() is { } rns && rns != ns)
                    causes.Add(("regarding.namespace", "FieldValueInvalid", $"Invalid value: \"{rns}\": does not match event.namespace"));
                if ((ev["note"]?.ToString().Length ?? 0) > 1024) causes.Add(("note", "FieldValueTooLong", "Too long: may not be longer than 1024"));
            }
            else
            {
                if (ev["involvedObject"] is not JsonObject involved) causes.Add(("involvedObject", "FieldValueRequired", "Required value"));
                else if (involved["namespace"]?.ToString() is { } ins && ins != ns)
                    causes.Add(("involvedObject.namespace", "FieldValueInvalid", $"Invalid value: \"{ins}\": does not match event.namespace"));
                if (type is not (null or "Normal" or "Warning")) causes.Add(("type", "FieldValueNotSupported", $"Unsupported value: \"{type}\": supported values: \"Normal\", \"Warning\""));
            }
            if (causes.Count > 0) throw ApiError.Invalid("Event", name, group, causes.ToArray());
            if (_events.ContainsKey((ns, name))) throw ApiError.AlreadyExists("events", name, group);

            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta["resourceVersion"] = NextVersion();
            ev["apiVersion"] = eventsApi ? "events.k8s.io/v1" : "v1";
            ev["kind"] = "Event";
            _events[(ns, name)] = ev;
            _eventLog.Add((JsonObject)ev.DeepClone());
            return (JsonObject)ev.DeepClone();
        }
    }

    // ---- leases ----

    private const string LeaseGroup = "coordination.k8s.io";

    public JsonObject GetLease(string ns, string name)
    {
        lock (_gate)
            return _leases.TryGetValue((ns, name), out var l) ? (JsonObject)l.DeepClone() : throw ApiError.NotFound("leases", name, LeaseGroup);
    }

    public JsonObject ListLeases(string ns)
    {
        lock (_gate)
        {
            var items = new JsonArray(_leases.Where(kv => kv.Key.Ns == ns).OrderBy(kv => kv.Key.Name)
                .Select(kv => (JsonNode)kv.Value.DeepClone()).ToArray());
            return new JsonObject
            {
                ["kind"] = "LeaseList",
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString() },
                ["items"] = items,
            };
        }
    }

    public JsonObject CreateLease(string ns, JsonObject lease)
    {
        lock (_gate)
        {
            var meta = lease["metadata"] as JsonObject ?? throw ApiError.Invalid("Lease", "", LeaseGroup, ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
            if (meta["namespace"] is JsonValue nsValue && nsValue.ToString() != ns)
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            var name = meta["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
                throw ApiError.Invalid("Lease", "", LeaseGroup, ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
            if (!string.IsNullOrEmpty(meta["resourceVersion"]?.ToString()))
                throw ApiError.BadRequest("resourceVersion should not be set on objects to be created");
            ValidateLease(name, lease);
            if (_leases.ContainsKey((ns, name))) throw ApiError.AlreadyExists("leases", name, LeaseGroup);
            meta["namespace"] = ns;
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta["resourceVersion"] = NextVersion();
            lease["apiVersion"] = "coordination.k8s.io/v1";
            lease["kind"] = "Lease";
            _leases[(ns, name)] = lease;
            return (JsonObject)lease.DeepClone();
        }
    }

    public JsonObject UpdateLease(string ns, string name, JsonObject lease)
    {
        lock (_gate)
        {
            var meta = lease["metadata"] as JsonObject ?? new JsonObject();
            if (meta["name"]?.ToString() is { } bodyName && bodyName != name)
                throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            if (!_leases.TryGetValue((ns, name), out var current)) throw ApiError.NotFound("leases", name, LeaseGroup);
            var rv = meta["resourceVersion"]?.ToString();
            if (string.IsNullOrEmpty(rv))
                throw ApiError.Invalid("Lease", name, LeaseGroup, ("metadata.resourceVersion", "FieldValueInvalid", "Invalid value: 0x0: must be specified for an update"));
            if (rv != current["metadata"]!["resourceVersion"]!.ToString()) throw ApiError.Conflict("leases", name, LeaseGroup);
            ValidateLease(name, lease);

            var next = (JsonObject)lease.DeepClone();
            var nextMeta = (JsonObject)current["metadata"]!.DeepClone();
            // Mutable metadata comes from the request; identity fields stay the server's.
            foreach (var field in new[] { "labels", "annotations", "ownerReferences" })
            {
                if (meta[field] is null) nextMeta.Remove(field);
                else nextMeta[field] = meta[field]!.DeepClone();
            }
            next["metadata"] = nextMeta;
            next["apiVersion"] = "coordination.k8s.io/v1";
            next["kind"] = "Lease";
            if (JsonNode.DeepEquals(next, current)) return (JsonObject)current.DeepClone();
            nextMeta["resourceVersion"] = NextVersion();
            _leases[(ns, name)] = next;
            return (JsonObject)next.DeepClone();
        }
    }

    private static void ValidateLease(string name, JsonObject lease)
    {
        var causes = new List<(string, string, string)>();
        if (lease["spec"] is JsonObject spec)
        {
            if (spec["leaseDurationSeconds"] is JsonNode d && (d is not JsonValue v || !v.TryGetValue<int>(out var seconds) || seconds <= 0))
                causes.Add(("spec.leaseDurationSeconds", "FieldValueInvalid", $"Invalid value: {d.ToJsonString()}: must be greater than 0"));
            foreach (var field in new[] { "acquireTime", "renewTime" })
                if (spec[field] is JsonNode t && (t is not JsonValue tv || !DateTime.TryParse(tv.ToString(), out _)))
                    causes.Add(($"spec.{field}", "FieldValueInvalid", $"Invalid value: {t.ToJsonString()}: must be an RFC 3339 time"));
        }
        if (causes.Count > 0) throw ApiError.Invalid("Lease", name, LeaseGroup, causes.ToArray());
    }
}

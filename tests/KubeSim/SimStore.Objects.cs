using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

public sealed partial class SimStore
{
    // Metadata a client may set through update and patch; everything else in metadata is the server's.
    private static readonly string[] ClientMetadata = ["labels", "annotations", "ownerReferences", "finalizers"];

    public JsonObject Get(ResourceType type, string ns, string name) =>
        Find(type, ns, name) ?? throw ApiError.NotFound(type.Resource, name, type.Group);

    /// <summary>A list shaped like the apiserver's: kind XList, metadata.resourceVersion to watch from, items in key order, paged by limit/continue.</summary>
    public JsonObject List(ResourceType type, string? ns, ListQuery query)
    {
        lock (_gate)
        {
            var table = _tables[type];
            long at;
            string? after = null;
            IEnumerable<KeyValuePair<string, JsonObject>> state;
            if (!string.IsNullOrEmpty(query.Continue))
            {
                (at, after) = DecodeContinue(query.Continue);
                if (at < table.Floor)
                    throw ApiError.Expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, " +
                        "or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an " +
                        "inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                        new JsonObject { ["continue"] = EncodeContinue(_resourceVersion, after) });
                state = SnapshotAt(table, at);
            }
            else if (query.ResourceVersionMatch == "Exact")
            {
                at = ParseVersion(query.ResourceVersion);
                if (at > _resourceVersion) throw ApiError.TooLargeResourceVersion(at, _resourceVersion);
                if (at < table.Floor) throw ApiError.Expired($"too old resource version: {at} ({table.Floor})");
                state = SnapshotAt(table, at);
            }
            else
            {
                at = _resourceVersion;
                state = table.Objects;
            }

            var prefix = type.Namespaced && !string.IsNullOrEmpty(ns) ? ns + "/" : "";
            var matching = state
                .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && (after is null || string.CompareOrdinal(kv.Key, after) > 0))
                .Where(kv => query.Fields.Matches(kv.Value, type) && query.Labels.Matches(kv.Value))
                .ToList();
            var page = query.Limit is > 0 ? matching.Take(query.Limit.Value).ToList() : matching;
            var meta = new JsonObject { ["resourceVersion"] = at.ToString() };
            if (page.Count < matching.Count)
            {
                meta["continue"] = EncodeContinue(at, page[^1].Key);
                // The apiserver counts what remains only when it need not filter.
                if (query.Fields.IsEmpty && query.Labels.IsEmpty) meta["remainingItemCount"] = matching.Count - page.Count;
            }
            return new JsonObject
            {
                ["kind"] = type.ListKind,
                ["apiVersion"] = type.ApiVersion,
                ["metadata"] = meta,
                ["items"] = new JsonArray(page.Select(kv => (JsonNode)Clone(kv.Value)).ToArray()),
            };
        }
    }

    /// <summary>The type's objects as they were at a past resourceVersion: the current state with the later changes undone.</summary>
    private static SortedDictionary<string, JsonObject> SnapshotAt(ResourceTable table, long rv)
    {
        var state = new SortedDictionary<string, JsonObject>(table.Objects, StringComparer.Ordinal);
        foreach (var change in table.History.Reverse().TakeWhile(c => c.ResourceVersion > rv))
        {
            var key = table.Key(NamespaceOf(change.Object), NameOf(change.Object));
            if (change.Previous is null) state.Remove(key);
            else state[key] = change.Previous;
        }
        return state;
    }

    private static string EncodeContinue(long rv, string? after) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = after ?? "" }.ToJsonString()));

    private static (long Rv, string After) DecodeContinue(string token)
    {
        try
        {
            var o = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token))) as JsonObject;
            if (o?["v"]?.GetValue<string>() == "meta.k8s.io/v1" && o["rv"]?.GetValue<long>() is { } rv and > 0 && o["start"]?.GetValue<string>() is { } start)
                return (rv, start);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
        }
        throw ApiError.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    }

    /// <summary>A resourceVersion from a query string: a decimal number, as etcd's revisions are.</summary>
    public static long ParseVersion(string? text)
    {
        if (long.TryParse(text, System.Globalization.NumberStyles.None, null, out var rv)) return rv;
        throw ApiError.BadRequest($"resourceVersion: Invalid value: \"{text}\": strconv.ParseUint: parsing \"{text}\": invalid syntax");
    }

    /// <summary>POST: name or generateName, no resourceVersion, validation, 409 AlreadyExists; 201 with uid, creationTimestamp and a resourceVersion.</summary>
    public JsonObject Create(ResourceType type, string ns, JsonObject obj)
    {
        lock (_gate)
        {
            var meta = obj["metadata"] as JsonObject ?? new JsonObject();
            obj["metadata"] = meta;
            if (type.Namespaced)
            {
                if (meta["namespace"] is JsonValue given && given.ToString() != ns)
                    throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
                meta["namespace"] = ns;
            }
            else
            {
                meta.Remove("namespace");
            }
            var name = meta["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
            {
                var prefix = meta["generateName"]?.GetValue<string>();
                if (string.IsNullOrEmpty(prefix))
                    throw ApiError.Invalid(type.Kind, "", type.Group, ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
                name = prefix + GeneratedSuffix();
                meta["name"] = name;
            }
            // The storage layer refuses this with a plain error, which the apiserver answers as a 500 without a reason.
            if (!string.IsNullOrEmpty(meta["resourceVersion"]?.ToString()))
                throw new ApiError(500, "", "resourceVersion should not be set on objects to be created");
            Validate(type, name, obj, null);
            var table = _tables[type];
            var key = table.Key(ns, name);
            if (table.Objects.ContainsKey(key)) throw ApiError.AlreadyExists(type.Resource, name, type.Group);
            foreach (var field in new[] { "uid", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" }) meta.Remove(field);
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            // A new pod's status is the server's: Pending until a kubelet says otherwise (seed or /_sim/pods to start elsewhere).
            if (type == ResourceType.Pods) obj["status"] = new JsonObject { ["phase"] = "Pending" };
            return Clone(Write(table, key, Shaped(type, obj), null));
        }
    }

    private static string GeneratedSuffix()
    {
        // The apiserver's alphabet for generated names: no vowels, no look-alike digits.
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]));
    }

    /// <summary>PUT: the whole object. resourceVersion is a precondition (required where the type says so), a different uid fails the uid precondition.</summary>
    public JsonObject Update(ResourceType type, string ns, string name, JsonObject obj, bool statusSubresource)
    {
        lock (_gate)
        {
            var meta = obj["metadata"] as JsonObject ?? new JsonObject();
            if (meta["name"]?.ToString() is { } bodyName && bodyName != name)
                throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            if (type.Namespaced && meta["namespace"]?.ToString() is { Length: > 0 } bodyNs && bodyNs != ns)
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            var table = _tables[type];
            var key = table.Key(ns, name);
            if (!table.Objects.TryGetValue(key, out var current)) throw ApiError.NotFound(type.Resource, name, type.Group);
            var currentMeta = (JsonObject)current["metadata"]!;
            var rv = meta["resourceVersion"]?.ToString();
            if (string.IsNullOrEmpty(rv) && !type.AllowUnconditionalUpdate)
                throw ApiError.Invalid(type.Kind, name, type.Group, ("metadata.resourceVersion", "FieldValueInvalid", "Invalid value: 0x0: must be specified for an update"));
            if (!string.IsNullOrEmpty(rv) && rv != VersionOf(current)) throw ApiError.Conflict(type.Resource, name, type.Group);
            if (meta["uid"]?.ToString() is { Length: > 0 } uid && uid != currentMeta["uid"]?.ToString())
                throw ApiError.PreconditionFailed(type.Resource, name, type.Group, "UID", uid, currentMeta["uid"]?.ToString() ?? "");

            var nextMeta = Clone(currentMeta);
            foreach (var field in ClientMetadata)
            {
                if (meta[field] is null) nextMeta.Remove(field);
                else nextMeta[field] = meta[field]!.DeepClone();
            }
            var next = Shaped(type, obj);
            next["metadata"] = nextMeta;
            ScopeToSubresource(type, next, current, statusSubresource);
            Validate(type, name, next, current);
            return Clone(Commit(table, key, next, current));
        }
    }

    /// <summary>PATCH in any of the three formats: resourceVersion in the result is a precondition; validation; subresource scoping.</summary>
    public JsonObject Patch(ResourceType type, string ns, string name, string patchType, JsonNode? patch, bool statusSubresource)
    {
        lock (_gate)
        {
            var table = _tables[type];
            var key = table.Key(ns, name);
            if (!table.Objects.TryGetValue(key, out var current)) throw ApiError.NotFound(type.Resource, name, type.Group);
            var patchError = (string message) => ApiError.Invalid(type.Kind, name, type.Group, ("patch", "FieldValueInvalid", message));

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
            if (meta["resourceVersion"] is JsonValue rv && rv.ToString() != VersionOf(current))
                throw ApiError.Conflict(type.Resource, name, type.Group);

            var causes = new List<(string, string, string)>();
            var oldMeta = (JsonObject)current["metadata"]!;
            foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp" })
                if (!JsonNode.DeepEquals(meta[field], oldMeta[field]))
                    causes.Add(($"metadata.{field}", "FieldValueInvalid", $"Invalid value: {meta[field]?.ToJsonString() ?? "null"}: field is immutable"));
            if (causes.Count > 0) throw ApiError.Invalid(type.Kind, name, type.Group, causes.ToArray());

            // The deletion fields are the server's; a patch cannot set or clear them.
            foreach (var field in new[] { "deletionTimestamp", "deletionGracePeriodSeconds" })
            {
                if (oldMeta[field] is null) meta.Remove(field);
                else meta[field] = oldMeta[field]!.DeepClone();
            }
            ScopeToSubresource(type, next, current, statusSubresource);
            Validate(type, name, next, current);
            return Clone(Commit(table, key, next, current));
        }
    }

    /// <summary>The main resource ignores status changes; the status subresource ignores everything but status.</summary>
    private static void ScopeToSubresource(ResourceType type, JsonObject next, JsonObject current, bool statusSubresource)
    {
        if (!type.HasStatus) return;
        if (statusSubresource)
        {
            var status = next["status"]?.DeepClone();
            next.Clear();
            foreach (var (k, v) in current) next[k] = v?.DeepClone();
            next["status"] = status;
        }
        else
        {
            next["status"] = current["status"]?.DeepClone();
        }
    }

    /// <summary>Stores an updated object unless nothing changed (then the resourceVersion stays); finishes a deletion whose last finalizer went.</summary>
    private JsonObject Commit(ResourceTable table, string key, JsonObject next, JsonObject current)
    {
        next["metadata"]!["resourceVersion"] = VersionOf(current);
        if (JsonNode.DeepEquals(next, current)) return current;
        var stored = Write(table, key, next, current);
        if (next["metadata"]?["deletionTimestamp"] is not null && next["metadata"]?["finalizers"] is not JsonArray { Count: > 0 })
            Write(table, key, null, stored);
        return stored;
    }

    /// <summary>
    /// DELETE: preconditions, then finalizers (the object stays, with deletionTimestamp, until they are gone), graceful pod deletion
    /// (the simulator's kubelet stops the containers at once: MODIFIED with deletionTimestamp, then DELETED), or removal.
    /// </summary>
    public JsonObject Delete(ResourceType type, string ns, string name, DeleteOptions options)
    {
        lock (_gate)
        {
            var table = _tables[type];
            var key = table.Key(ns, name);
            if (!table.Objects.TryGetValue(key, out var current)) throw ApiError.NotFound(type.Resource, name, type.Group);
            var meta = (JsonObject)current["metadata"]!;
            var uid = meta["uid"]?.ToString() ?? "";
            if (options.PreconditionUid is { } wantUid && wantUid != uid)
                throw ApiError.PreconditionFailed(type.Resource, name, type.Group, "UID", wantUid, uid);
            if (options.PreconditionResourceVersion is { } wantRv && wantRv != VersionOf(current))
                throw ApiError.PreconditionFailed(type.Resource, name, type.Group, "ResourceVersion", wantRv, VersionOf(current));
            if (meta["deletionTimestamp"] is not null) return Clone(current);

            if (meta["finalizers"] is JsonArray { Count: > 0 })
            {
                var pending = Clone(current);
                pending["metadata"]!["deletionTimestamp"] = Now();
                pending["metadata"]!["deletionGracePeriodSeconds"] = 0;
                return Clone(Write(table, key, pending, current));
            }

            if (type == ResourceType.Pods && GracePeriod(current, options) is { } grace and > 0)
            {
                var terminating = Clone(current);
                terminating["metadata"]!["deletionTimestamp"] = DateTime.UtcNow.AddSeconds(grace).ToString("yyyy-MM-ddTHH:mm:ssZ");
                terminating["metadata"]!["deletionGracePeriodSeconds"] = grace;
                var answer = Clone(Write(table, key, terminating, current));
                Write(table, key, null, table.Objects[key]);
                return answer;
            }

            Write(table, key, null, current);
            return type.ReturnsDeletedObject ? Clone(current) : ApiError.Success(type.Resource, type.Group, name, uid);
        }
    }

    /// <summary>A pod that runs on a node and has not finished is deleted gracefully: the request's grace, else the pod's, else 30 s.</summary>
    private static long? GracePeriod(JsonObject pod, DeleteOptions options)
    {
        if (string.IsNullOrEmpty(pod["spec"]?["nodeName"]?.ToString())) return null;
        if (pod["status"]?["phase"]?.ToString() is "Succeeded" or "Failed") return null;
        return options.GracePeriodSeconds ?? (pod["spec"]?["terminationGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var s) ? s : 30);
    }
}

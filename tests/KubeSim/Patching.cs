using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>The three patch formats the apiserver accepts for built-in types, written from their specs (RFC 7386, RFC 6902, strategic merge).</summary>
public static class Patching
{
    /// <summary>RFC 7386 JSON merge patch: objects merge, null removes, everything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) { result.Remove(key); continue; }
            var merged = MergePatch(result[key], value);
            result[key] = merged;
        }
        return result;
    }

    // Merge keys of the core/v1 Pod and Node lists that are merged element-wise (from the patchMergeKey tags of k8s.io/api/core/v1).
    private static readonly Dictionary<string, string> MergeKeys = new()
    {
        ["conditions"] = "type",
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["env"] = "name",
        ["ports"] = "containerPort",
        ["ownerReferences"] = "uid",
        ["readinessGates"] = "conditionType",
        ["podIPs"] = "ip",
        ["hostIPs"] = "ip",
        ["imagePullSecrets"] = "name",
        ["resourceClaims"] = "name",
        ["addresses"] = "type",
    };

    // Lists of scalars merged as sets (patchStrategy "merge" without a key).
    private static readonly HashSet<string> SetLists = new() { "finalizers" };

    /// <summary>Strategic merge patch for Pod-shaped documents: merge-patch semantics plus keyed list merge and the $patch directives.</summary>
    public static JsonNode? StrategicMerge(JsonNode? target, JsonNode? patch, string? fieldName = null)
    {
        if (patch is JsonArray patchList) return MergeList(target as JsonArray, patchList, fieldName);
        if (patch is not JsonObject patchObject) return patch?.DeepClone();

        if (patchObject["$patch"]?.GetValue<string>() is { } directive)
        {
            if (directive == "replace")
            {
                var replaced = (JsonObject)patchObject.DeepClone();
                replaced.Remove("$patch");
                return replaced;
            }
            if (directive == "delete") return null;
            throw ApiError.BadRequest($"unknown patch type: {directive}");
        }

        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal) || key == "$retainKeys") continue;
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (result[field] is JsonArray existing && value is JsonArray remove)
                {
                    var drop = remove.Select(n => n?.ToJsonString()).ToHashSet();
                    for (var i = existing.Count - 1; i >= 0; i--)
                        if (drop.Contains(existing[i]?.ToJsonString())) existing.RemoveAt(i);
                }
                continue;
            }
            if (value is null) { result.Remove(key); continue; }
            var merged = StrategicMerge(result[key], value, key);
            if (merged is null) result.Remove(key);
            else result[key] = merged;
        }
        return result;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string? fieldName)
    {
        if (fieldName is not null && SetLists.Contains(fieldName))
        {
            var union = target is null ? new JsonArray() : (JsonArray)target.DeepClone();
            var seen = union.Select(n => n?.ToJsonString()).ToHashSet();
            foreach (var item in patch)
                if (seen.Add(item?.ToJsonString())) union.Add(item?.DeepClone());
            return union;
        }
        if (fieldName is null || !MergeKeys.TryGetValue(fieldName, out var mergeKey) || target is null)
        {
            var copy = new JsonArray();
            foreach (var item in patch)
            {
                if (item is JsonObject o && o["$patch"] is not null) continue;
                copy.Add(item?.DeepClone());
            }
            return copy;
        }

        var merged = (JsonArray)target.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject element || element[mergeKey] is not JsonValue keyValue)
                throw ApiError.BadRequest($"map: {item?.ToJsonString()} does not contain declared merge key: {mergeKey}");
            var key = keyValue.ToJsonString();
            var index = -1;
            for (var i = 0; i < merged.Count; i++)
                if (merged[i] is JsonObject m && m[mergeKey]?.ToJsonString() == key) { index = i; break; }

            if (element["$patch"]?.GetValue<string>() == "delete")
            {
                if (index >= 0) merged.RemoveAt(index);
                continue;
            }
            if (index < 0) merged.Add(StrategicMerge(null, element));
            else merged[index] = StrategicMerge(merged[index], element);
        }
        return merged;
    }

    /// <summary>RFC 6902 JSON patch. Failures are reported as the apiserver does: 422 for a patch that cannot apply.</summary>
    public static JsonNode? JsonPatch(JsonNode? document, JsonArray operations, Func<string, ApiError> fail)
    {
        var doc = document?.DeepClone();
        foreach (var opNode in operations)
        {
            if (opNode is not JsonObject op) throw ApiError.BadRequest("json patch operation is not an object");
            var kind = op["op"]?.GetValue<string>() ?? throw fail("operation has no \"op\"");
            var path = op["path"]?.GetValue<string>() ?? throw fail($"{kind} operation has no \"path\"");
            switch (kind)
            {
                case "add": doc = Add(doc, path, Required(op, "value", kind, fail), fail); break;
                case "remove": doc = Remove(doc, path, fail, out _); break;
                case "replace":
                    doc = Remove(doc, path, fail, out _);
                    doc = Add(doc, path, Required(op, "value", kind, fail), fail);
                    break;
                case "move":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw fail("move operation has no \"from\"");
                    doc = Remove(doc, from, fail, out var moved);
                    doc = Add(doc, path, moved, fail);
                    break;
                }
                case "copy":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw fail("copy operation has no \"from\"");
                    doc = Add(doc, path, Get(doc, from, fail)?.DeepClone(), fail);
                    break;
                }
                case "test":
                    var actual = Get(doc, path, fail);
                    if (!JsonNode.DeepEquals(actual, op["value"]))
                        throw fail($"testing value {path} failed");
                    break;
                default: throw fail($"Unexpected kind: {kind}");
            }
        }
        return doc;
    }

    private static JsonNode? Required(JsonObject op, string name, string kind, Func<string, ApiError> fail) =>
        op.TryGetPropertyValue(name, out var v) ? v?.DeepClone() : throw fail($"{kind} operation does not apply: missing \"{name}\"");

    private static List<string> Pointer(string path, Func<string, ApiError> fail)
    {
        if (path.Length == 0) return new List<string>();
        if (path[0] != '/') throw fail($"invalid JSON pointer {path}");
        return path[1..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToList();
    }

    private static JsonNode? Get(JsonNode? doc, string path, Func<string, ApiError> fail)
    {
        var node = doc;
        foreach (var token in Pointer(path, fail))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) => child,
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw fail($"doc is missing path: \"{path}\""),
            };
        }
        return node;
    }

    private static JsonNode? Add(JsonNode? doc, string path, JsonNode? value, Func<string, ApiError> fail)
    {
        var tokens = Pointer(path, fail);
        if (tokens.Count == 0) return value;
        var parent = Get(doc, ParentPath(tokens), fail);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count: a.Insert(i, value); break;
            default: throw fail($"doc is missing path: \"{path}\"");
        }
        return doc;
    }

    private static JsonNode? Remove(JsonNode? doc, string path, Func<string, ApiError> fail, out JsonNode? removed)
    {
        var tokens = Pointer(path, fail);
        if (tokens.Count == 0) { removed = doc; return null; }
        var parent = Get(doc, ParentPath(tokens), fail);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var child):
                o.Remove(last);
                removed = child;
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default: throw fail($"unable to remove nonexistent key: {last}: missing value");
        }
        // Detach so the node can be re-parented by move.
        removed = removed?.DeepClone();
        return doc;
    }

    private static string ParentPath(List<string> tokens) =>
        tokens.Count == 1 ? "" : "/" + string.Join('/', tokens.Take(tokens.Count - 1).Select(Escape));

    private static string Escape(string token) => token.Replace("~", "~0").Replace("/", "~1");
}

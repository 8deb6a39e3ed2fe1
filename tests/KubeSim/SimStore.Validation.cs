using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KubeSim;

public sealed partial class SimStore
{
    private const int MaxConfigMapBytes = 1024 * 1024;

    /// <summary>
    /// The checks a client can trip: a value of the wrong JSON type is the decoder's 400, a value the type's validation refuses is 422 Invalid
    /// with one cause per field. <paramref name="current"/> is null on create.
    /// </summary>
    private static void Validate(ResourceType type, string name, JsonObject next, JsonObject? current)
    {
        var causes = new List<(string Field, string Reason, string Message)>();
        ValidateMetadata(next, current, causes);
        if (type == ResourceType.Pods) ValidatePod(next, causes);
        else if (type == ResourceType.Leases) ValidateLease(next);
        else if (type == ResourceType.ConfigMaps) ValidateConfigMap(next, current, causes);
        if (causes.Count > 0) throw ApiError.Invalid(type.Kind, name, type.Group, causes.ToArray());
    }

    private static void ValidateMetadata(JsonObject next, JsonObject? current, List<(string, string, string)> causes)
    {
        var meta = (JsonObject)next["metadata"]!;
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
        if (current?["metadata"]?["deletionTimestamp"] is not null)
        {
            var before = Strings(current["metadata"]!["finalizers"]);
            var added = Strings(meta["finalizers"]).Except(before).ToList();
            if (added.Count > 0)
                causes.Add(("metadata.finalizers", "FieldValueForbidden",
                    $"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(f => $"\"{f}\""))}}}"));
        }
    }

    private static IEnumerable<string> Strings(JsonNode? list) =>
        list is JsonArray a ? a.OfType<JsonValue>().Select(v => v.ToString()) : [];

    private static void ValidatePod(JsonObject pod, List<(string, string, string)> causes)
    {
        if (pod["status"]?["conditions"] is not JsonNode conditions) return;
        if (conditions is not JsonArray list)
        {
            causes.Add(("status.conditions", "FieldValueTypeInvalid", "Invalid value: must be a list"));
            return;
        }
        for (var i = 0; i < list.Count; i++)
            foreach (var field in new[] { "type", "status" })
                if (list[i]?[field] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>().Length == 0)
                    causes.Add(($"status.conditions[{i}].{field}", "FieldValueRequired", "Required value"));
    }

    private static void ValidateLease(JsonObject lease)
    {
        var causes = new List<(string, string, string)>();
        if (lease["spec"] is JsonObject spec)
        {
            if (spec["leaseDurationSeconds"] is JsonNode d && (d is not JsonValue v || !v.TryGetValue<int>(out var seconds) || seconds <= 0))
                causes.Add(("spec.leaseDurationSeconds", "FieldValueInvalid", $"Invalid value: {d.ToJsonString()}: must be greater than 0"));
            if (spec["leaseTransitions"] is JsonValue t && t.TryGetValue<int>(out var transitions) && transitions < 0)
                causes.Add(("spec.leaseTransitions", "FieldValueInvalid", $"Invalid value: {transitions}: must be greater than or equal to 0"));
            foreach (var field in new[] { "acquireTime", "renewTime" })
                if (spec[field] is JsonNode time && !IsMicroTime(time))
                    // metav1.MicroTime decodes only RFC 3339 with exactly six fractional digits; anything else fails the decoder (400).
                    throw ApiError.BadRequest(
                        $"Lease in version \"v1\" cannot be handled as a Lease: parsing time {time.ToJsonString()} as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse");
        }
        if (causes.Count > 0) throw ApiError.Invalid("Lease", NameOf(lease), ResourceType.Leases.Group, causes.ToArray());
    }

    private static bool IsMicroTime(JsonNode time) =>
        time is JsonValue v && v.GetValueKind() == JsonValueKind.String && MicroTime().IsMatch(v.GetValue<string>())
        && DateTimeOffset.TryParse(v.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _);

    private static void ValidateConfigMap(JsonObject cm, JsonObject? current, List<(string, string, string)> causes)
    {
        var size = 0;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in new[] { "data", "binaryData" })
        {
            if (cm[field] is null) continue;
            if (cm[field] is not JsonObject map)
                throw ApiError.BadRequest($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {cm[field]!.GetValueKind().ToString().ToLowerInvariant()} into Go struct field ConfigMap.{field} of type map[string]{(field == "data" ? "string" : "[]uint8")}");
            foreach (var (key, value) in map)
            {
                if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                    throw ApiError.BadRequest($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {value?.GetValueKind().ToString().ToLowerInvariant() ?? "null"} into Go struct field ConfigMap.{field} of type {(field == "data" ? "string" : "[]uint8")}");
                var text = v.GetValue<string>();
                if (field == "binaryData")
                {
                    try { size += Convert.FromBase64String(text).Length; }
                    catch (FormatException) { throw ApiError.BadRequest("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: illegal base64 data"); }
                }
                else
                {
                    size += System.Text.Encoding.UTF8.GetByteCount(text);
                }
                if (!ConfigKey().IsMatch(key) || key.Length > 253 || key is "." or ".." || key.StartsWith("..", StringComparison.Ordinal))
                    causes.Add(($"{field}[{key}]", "FieldValueInvalid",
                        $"Invalid value: \"{key}\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
                if (!keys.Add(key)) causes.Add(($"{field}[{key}]", "FieldValueInvalid", $"Invalid value: \"{key}\": duplicate of key present in data"));
            }
        }
        if (size > MaxConfigMapBytes) causes.Add(("", "FieldValueTooLong", $"Too long: must have at most {MaxConfigMapBytes} bytes"));
        if (current?["immutable"] is JsonValue immutable && immutable.GetValueKind() == JsonValueKind.True)
        {
            const string why = "Forbidden: field is immutable when `immutable` is set";
            if (!JsonNode.DeepEquals(cm["immutable"], current["immutable"])) causes.Add(("immutable", "FieldValueForbidden", why));
            if (!JsonNode.DeepEquals(cm["data"], current["data"])) causes.Add(("data", "FieldValueForbidden", why));
            if (!JsonNode.DeepEquals(cm["binaryData"], current["binaryData"])) causes.Add(("binaryData", "FieldValueForbidden", why));
        }
    }

    [GeneratedRegex(@"^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKey();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex MicroTime();
}

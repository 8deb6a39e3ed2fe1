using System.Text.Json.Nodes;

namespace KubeSim;

public sealed partial class SimStore
{
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
                name = prefix + GeneratedSuffix();
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
            meta["resourceVersion"] = (++_resourceVersion).ToString();
            ev["apiVersion"] = eventsApi ? "events.k8s.io/v1" : "v1";
            ev["kind"] = "Event";
            _events[(ns, name)] = ev;
            _eventLog.Add((JsonObject)ev.DeepClone());
            return (JsonObject)ev.DeepClone();
        }
    }
}

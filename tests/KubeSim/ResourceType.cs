using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>One kind of stored object: its names on the wire and the registry behaviours of the real apiserver that clients can notice.</summary>
public sealed class ResourceType
{
    private readonly Dictionary<string, string> _fieldDefaults;
    private readonly Dictionary<string, string> _fieldAliases;

    private ResourceType(string resource, string kind, string group, bool namespaced, bool hasStatus, bool allowUnconditionalUpdate,
        bool returnsDeletedObject, Dictionary<string, string> fieldDefaults, Dictionary<string, string>? fieldAliases = null)
    {
        Resource = resource;
        Kind = kind;
        Group = group;
        Namespaced = namespaced;
        HasStatus = hasStatus;
        AllowUnconditionalUpdate = allowUnconditionalUpdate;
        ReturnsDeletedObject = returnsDeletedObject;
        _fieldDefaults = fieldDefaults;
        _fieldAliases = fieldAliases ?? new Dictionary<string, string>();
    }

    /// <summary>The plural URL name: "pods".</summary>
    public string Resource { get; }
    public string Kind { get; }
    /// <summary>"" for the core group.</summary>
    public string Group { get; }
    public bool Namespaced { get; }
    /// <summary>Has a status subresource: the main resource ignores status changes and /status changes only status.</summary>
    public bool HasStatus { get; }
    /// <summary>A PUT without metadata.resourceVersion is accepted (configmaps, nodes) or refused with 422 (leases).</summary>
    public bool AllowUnconditionalUpdate { get; }
    /// <summary>DELETE answers the deleted object (pods, serviceaccounts) instead of a Success Status.</summary>
    public bool ReturnsDeletedObject { get; }

    public string ApiVersion => Group.Length == 0 ? "v1" : $"{Group}/v1";
    public string ListKind => Kind + "List";

    /// <summary>The canonical label for a selector label ("spec.host" is the pods' old name of "spec.nodeName"), or null when unsupported.</summary>
    public string? CanonicalFieldLabel(string label) =>
        _fieldAliases.TryGetValue(label, out var canonical) ? canonical : _fieldDefaults.ContainsKey(label) ? label : null;

    /// <summary>The value a field selector compares: strings as they are, booleans as "true"/"false", an absent field as its default.</summary>
    public string FieldValue(JsonObject obj, string label)
    {
        JsonNode? node = obj;
        foreach (var part in label.Split('.'))
            node = node is JsonObject o ? o[part] : null;
        if (node is JsonValue value)
            return value.GetValueKind() switch
            {
                JsonValueKind.String => value.GetValue<string>(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => value.ToJsonString(),
            };
        return _fieldDefaults[label];
    }

    private static Dictionary<string, string> Fields(bool namespaced, params string[] more)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["metadata.name"] = "" };
        if (namespaced) fields["metadata.namespace"] = "";
        foreach (var f in more)
        {
            // "label=default" for the fields whose Go zero value is not "" (a bool reads "false" when absent).
            var eq = f.IndexOf('=');
            fields[eq < 0 ? f : f[..eq]] = eq < 0 ? "" : f[(eq + 1)..];
        }
        return fields;
    }

    public static readonly ResourceType Pods = new("pods", "Pod", "", namespaced: true, hasStatus: true, allowUnconditionalUpdate: true,
        returnsDeletedObject: true,
        Fields(true, "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork=false",
            "status.phase", "status.podIP", "status.nominatedNodeName"),
        new Dictionary<string, string> { ["spec.host"] = "spec.nodeName" });

    public static readonly ResourceType ConfigMaps = new("configmaps", "ConfigMap", "", namespaced: true, hasStatus: false,
        allowUnconditionalUpdate: true, returnsDeletedObject: false, Fields(true));

    public static readonly ResourceType Nodes = new("nodes", "Node", "", namespaced: false, hasStatus: true, allowUnconditionalUpdate: true,
        returnsDeletedObject: false, Fields(false, "spec.unschedulable=false"));

    public static readonly ResourceType Leases = new("leases", "Lease", "coordination.k8s.io", namespaced: true, hasStatus: false,
        allowUnconditionalUpdate: false, returnsDeletedObject: false, Fields(true));

    public static readonly ResourceType ServiceAccounts = new("serviceaccounts", "ServiceAccount", "", namespaced: true, hasStatus: false,
        allowUnconditionalUpdate: true, returnsDeletedObject: true, Fields(true));

    public static readonly IReadOnlyList<ResourceType> All = [Pods, ConfigMaps, Nodes, Leases, ServiceAccounts];
}

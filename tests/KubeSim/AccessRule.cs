using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>One allowed (verbs, resources) pair, RBAC's PolicyRule with an optional list of namespaces standing in for a RoleBinding.</summary>
public sealed record AccessRule(IReadOnlyList<string> Verbs, IReadOnlyList<string> Resources, IReadOnlyList<string> ApiGroups, IReadOnlyList<string>? Namespaces)
{
    public bool Allows(RequestAttributes a) =>
        Matches(Verbs, a.Verb)
        && Matches(ApiGroups, a.ApiGroup)
        && (Resources.Contains("*") || Resources.Contains(a.ResourceWithSubresource)
            || a.Subresource.Length > 0 && Resources.Contains("*/" + a.Subresource))
        // Namespaced rules (a RoleBinding) never grant cluster-scoped requests or lists across all namespaces.
        && (Namespaces is null || Namespaces.Contains("*") || a.Namespace.Length > 0 && Namespaces.Contains(a.Namespace));

    private static bool Matches(IReadOnlyList<string> allowed, string value) => allowed.Contains("*") || allowed.Contains(value);

    public static AccessRule FromJson(JsonObject o)
    {
        static List<string> List(JsonNode? n, string name) =>
            n is JsonArray a ? a.Select(v => v!.GetValue<string>()).ToList() : throw new FormatException($"a rule needs \"{name}\": [...]");
        return new AccessRule(List(o["verbs"], "verbs"), List(o["resources"], "resources"),
            o["apiGroups"] is null ? ["*"] : List(o["apiGroups"], "apiGroups"),
            o["namespaces"] is null ? null : List(o["namespaces"], "namespaces"));
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["verbs"] = new JsonArray(Verbs.Select(v => (JsonNode)v).ToArray()),
            ["resources"] = new JsonArray(Resources.Select(v => (JsonNode)v).ToArray()),
            ["apiGroups"] = new JsonArray(ApiGroups.Select(v => (JsonNode)v).ToArray()),
        };
        if (Namespaces is not null) o["namespaces"] = new JsonArray(Namespaces.Select(v => (JsonNode)v).ToArray());
        return o;
    }
}

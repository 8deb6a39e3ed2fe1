namespace KubeSim;

/// <summary>
/// What the authorizer sees of a request, derived as the apiserver's RequestInfo does: the verb (get/list/watch/create/update/patch/
/// delete/deletecollection), API group, namespace, resource, subresource and name.
/// </summary>
public sealed record RequestAttributes(string Verb, string ApiGroup, string Namespace, string Resource, string Subresource, string Name)
{
    public string ResourceWithSubresource => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";

    /// <summary>The attributes of a resource request (/api/v1/... or /apis/{group}/{version}/...); null for any other path.</summary>
    public static RequestAttributes? Parse(string method, string path, IQueryCollection query)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        int i;
        var group = "";
        if (parts.Length >= 3 && parts[0] == "api") i = 2;
        else if (parts.Length >= 4 && parts[0] == "apis") { group = parts[1]; i = 3; }
        else return null;

        var ns = "";
        if (parts[i] == "namespaces" && parts.Length > i + 1)
        {
            ns = parts[i + 1];
            // /api/v1/namespaces/{ns} is the namespace object itself.
            if (parts.Length == i + 2) return new RequestAttributes(VerbOf(method, query, named: true), group, "", "namespaces", "", ns);
            i += 2;
        }
        var resource = parts[i];
        var name = parts.Length > i + 1 ? parts[i + 1] : "";
        var subresource = parts.Length > i + 2 ? parts[i + 2] : "";
        var verb = VerbOf(method, query, named: name.Length > 0);
        // A list or watch pinned to one name by its field selector is authorized as a request for that name.
        if (verb is "list" or "watch" && name.Length == 0)
            name = FieldSelectorName(query["fieldSelector"].ToString()) ?? "";
        return new RequestAttributes(verb, group, ns, resource, subresource, name);
    }

    private static string VerbOf(string method, IQueryCollection query, bool named) => method switch
    {
        "GET" or "HEAD" when named => "get",
        "GET" or "HEAD" => IsTrue(query["watch"].ToString()) ? "watch" : "list",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => named ? "delete" : "deletecollection",
        _ => method.ToLowerInvariant(),
    };

    /// <summary>A boolean query parameter as Go's strconv.ParseBool reads it ("1", "t", "true", ...).</summary>
    public static bool IsTrue(string? value) => value is "1" or "t" or "T" or "true" or "TRUE" or "True";

    private static string? FieldSelectorName(string selector)
    {
        foreach (var term in selector.Split(','))
        {
            foreach (var op in new[] { "metadata.name==", "metadata.name=" })
                if (term.StartsWith(op, StringComparison.Ordinal)) return term[op.Length..];
        }
        return null;
    }
}

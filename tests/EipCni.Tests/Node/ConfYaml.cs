using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EipCni.Kube;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>
/// conf/*.yaml as trees, read with the repository's own YAML reader (maps, lists, strings), one per document; and the
/// RBAC rules conf/rbac.yaml binds to a ServiceAccount, in KubeSim's form, so tests run the code under the very rules
/// operators apply.
/// </summary>
public static class ConfYaml
{
    public static string Conf => Path.Combine(Repo.Root, "conf");

    /// <summary>Every YAML document of conf/ with its file name.</summary>
    public static List<(string File, Dictionary<string, object?> Doc)> Documents()
    {
        var documents = new List<(string, Dictionary<string, object?>)>();
        foreach (var file in Directory.EnumerateFiles(Conf, "*.yaml").Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain('\t', text);
            var part = 0;
            foreach (var doc in Regex.Split(text, "^---[ \t]*$", RegexOptions.Multiline))
            {
                part++;
                if (doc.Split('\n').All(l => l.TrimStart().Length == 0 || l.TrimStart().StartsWith('#'))) continue;
                var tree = KubeconfigYaml.Parse(doc, $"{Path.GetFileName(file)} document {part}");
                documents.Add((Path.GetFileName(file), Assert.IsType<Dictionary<string, object?>>(tree)));
            }
        }
        return documents;
    }

    public static object? At(object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(key, out node)) return null;
        }
        return node;
    }

    public static IEnumerable<Dictionary<string, object?>> Maps(object? list) =>
        (list as List<object?> ?? []).Select(Assert.IsType<Dictionary<string, object?>>);

    public static IEnumerable<string> Strings(object? list) => (list as List<object?> ?? []).Select(Assert.IsType<string>);

    public static (string File, Dictionary<string, object?> Doc) Find(string kind, string name) =>
        Documents().Single(d => (string?)At(d.Doc, "kind") == kind && (string?)At(d.Doc, "metadata", "name") == name);

    /// <summary>
    /// The body of KubeSim's <c>POST /_sim/rbac</c> for kube-system/<paramref name="serviceAccount"/>: the rules of every
    /// role conf/rbac.yaml binds to it (a Role's only in its namespace). KubeSim does not check resourceNames; the names
    /// are pinned by ConfManifestTests.
    /// </summary>
    public static string RbacRules(string serviceAccount)
    {
        var documents = Documents();
        var rules = new JsonArray();
        foreach (var (_, binding) in documents.Where(d => At(d.Doc, "kind") is "ClusterRoleBinding" or "RoleBinding"))
        {
            if (!Maps(binding["subjects"]).Any(s => (string?)s["name"] == serviceAccount && (string?)s["namespace"] == "kube-system")) continue;
            var roleKind = (string)At(binding, "roleRef", "kind")!;
            var role = documents.Single(d => (string?)At(d.Doc, "kind") == roleKind && (string?)At(d.Doc, "metadata", "name") == (string)At(binding, "roleRef", "name")!).Doc;
            foreach (var rule in Maps(role["rules"]))
            {
                var simRule = new JsonObject
                {
                    ["verbs"] = new JsonArray(Strings(rule["verbs"]).Select(v => (JsonNode)v).ToArray()),
                    ["resources"] = new JsonArray(Strings(rule["resources"]).Select(v => (JsonNode)v).ToArray()),
                    ["apiGroups"] = new JsonArray(Strings(rule["apiGroups"]).Select(v => (JsonNode)v).ToArray()),
                };
                if (roleKind == "Role") simRule["namespaces"] = new JsonArray((string)At(role, "metadata", "namespace")!);
                rules.Add((JsonNode)simRule);
            }
        }
        Assert.NotEmpty(rules);
        return new JsonObject { ["serviceAccount"] = $"kube-system/{serviceAccount}", ["rules"] = rules }.ToJsonString();
    }
}

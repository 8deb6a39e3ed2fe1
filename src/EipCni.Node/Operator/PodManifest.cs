using EipCni.Kube;

namespace EipCni.Node;

/// <summary>What <c>explain</c> needs of a pod manifest: its identity, annotations and controller (ownerReferences).</summary>
public sealed record PodManifest(string Namespace, string Name, IReadOnlyDictionary<string, string> Annotations, string? ControllerKind, string? ControllerName)
{
    /// <summary>Reads a Pod (YAML or JSON; a <c>List</c> holding one Pod too); throws <see cref="PodManifestException"/>.</summary>
    public static PodManifest Parse(string text, string source)
    {
        object? tree;
        try
        {
            tree = ManifestYaml.Parse(text, source);
        }
        catch (KubeconfigException e)
        {
            throw new PodManifestException($"{source}: {e.Field}: {e.Problem}");
        }
        if (tree is not Dictionary<string, object?> root) throw new PodManifestException($"{source} does not hold a Kubernetes object");
        if (Str(root, "kind") == "List" && root.GetValueOrDefault("items") is List<object?> items)
            root = items is [Dictionary<string, object?> only] ? only : throw new PodManifestException($"{source} holds a List of {items.Count} items; explain reads one pod");
        if (Str(root, "kind") is { } kind && kind != "Pod") throw new PodManifestException($"{source} holds a {kind}, not a Pod");
        var metadata = root.GetValueOrDefault("metadata") as Dictionary<string, object?> ?? throw new PodManifestException($"{source}: the pod has no metadata");
        var name = Str(metadata, "name") ?? throw new PodManifestException($"{source}: the pod has no metadata.name");

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (metadata.GetValueOrDefault("annotations"))
        {
            case null:
                break;
            case Dictionary<string, object?> map:
                foreach (var (key, value) in map)
                    annotations[key] = value as string ?? throw new PodManifestException($"{source}: metadata.annotations.{key} is not a string (the API server refuses the pod)");
                break;
            default:
                throw new PodManifestException($"{source}: metadata.annotations is not a mapping");
        }

        string? controllerKind = null, controllerName = null;
        if (metadata.GetValueOrDefault("ownerReferences") is List<object?> owners)
        {
            foreach (var owner in owners.OfType<Dictionary<string, object?>>())
            {
                if (!string.Equals(Str(owner, "controller"), "true", StringComparison.Ordinal)) continue;
                controllerKind = Str(owner, "kind");
                controllerName = Str(owner, "name");
                break;
            }
        }
        return new PodManifest(Str(metadata, "namespace") ?? "default", name, annotations, controllerKind, controllerName);
    }

    private static string? Str(Dictionary<string, object?> map, string key) => map.GetValueOrDefault(key) as string;
}

namespace EipCni.Kube;

/// <summary>
/// Reads a Kubernetes manifest (a pod's YAML, or JSON such as <c>kubectl get pod -o json</c>) with the kubeconfig
/// reader's YAML subset: block mappings and sequences, plain and quoted scalars, block scalars, one-line flow
/// collections. Scalars stay text (<c>true</c>, <c>5</c>). One document only; anchors, aliases and tags are refused.
/// </summary>
public static class ManifestYaml
{
    /// <summary>The tree (Dictionary&lt;string, object?&gt; / List&lt;object?&gt; / string / null); throws <see cref="KubeconfigException"/> naming the line.</summary>
    public static object? Parse(string text, string source) => KubeconfigYaml.Parse(text, source);
}

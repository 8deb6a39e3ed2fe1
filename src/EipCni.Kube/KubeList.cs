namespace EipCni.Kube;

/// <summary>One list answer: the items and the resourceVersion a watch continues from.</summary>
public sealed record KubeList<T>(IReadOnlyList<T> Items, string ResourceVersion);

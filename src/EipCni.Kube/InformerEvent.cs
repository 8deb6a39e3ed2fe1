namespace EipCni.Kube;

/// <summary>One change of an informer's cache; <see cref="Object"/> is null only for <see cref="InformerEventKind.Synced"/>.</summary>
public sealed record InformerEvent<T>(InformerEventKind Kind, T? Object) where T : class;

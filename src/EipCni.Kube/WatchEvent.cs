namespace EipCni.Kube;

/// <summary>
/// One event of a watch. <see cref="Object"/> is null only for a bookmark, which carries just the resourceVersion up to
/// which every change has been sent. For the others, <see cref="ResourceVersion"/> is the object's.
/// </summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Object, string ResourceVersion) where T : class;

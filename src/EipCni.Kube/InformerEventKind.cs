namespace EipCni.Kube;

/// <summary>What an <see cref="Informer{T}"/> tells its handler.</summary>
public enum InformerEventKind
{
    /// <summary>An object appeared (in a list or a watch).</summary>
    Added,

    /// <summary>An object changed (a new resourceVersion).</summary>
    Updated,

    /// <summary>An object is gone; the event carries its last known state.</summary>
    Deleted,

    /// <summary>A list was applied: the cache now mirrors the server (also after a re-list). No object.</summary>
    Synced,
}

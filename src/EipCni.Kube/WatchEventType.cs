namespace EipCni.Kube;

/// <summary>The kinds of watch event a client sees; ERROR events become a <see cref="KubeException"/> instead.</summary>
public enum WatchEventType { Added, Modified, Deleted, Bookmark }

using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>One change to a stored object, as the watch cache keeps it: the object after (for DELETED, the last state) and before.</summary>
public sealed record Change(string Type, JsonObject Object, JsonObject? Previous, long ResourceVersion);

/// <summary>The objects of one type in key order (as etcd lists them), the changes a watch can still replay, and the open watches.</summary>
internal sealed class ResourceTable(ResourceType type, long floor)
{
    public ResourceType Type { get; } = type;
    public SortedDictionary<string, JsonObject> Objects { get; } = new(StringComparer.Ordinal);
    public Queue<Change> History { get; } = new();
    /// <summary>Every change after this resourceVersion is still in <see cref="History"/>; a watch from before it is 410 Expired.</summary>
    public long Floor { get; set; } = floor;
    public List<Watcher> Watchers { get; } = new();

    public string Key(string ns, string name) => Type.Namespaced ? $"{ns}/{name}" : name;
}

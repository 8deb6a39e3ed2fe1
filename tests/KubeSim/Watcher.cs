using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace KubeSim;

/// <summary>An open watch: its selection (namespace null = all) and the serialized event lines waiting for its stream, in resourceVersion order.</summary>
public sealed class Watcher(ResourceType type, string? ns, FieldSelector fields, LabelSelector labels, string user, string query)
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public ResourceType Type => type;
    public DateTime Started { get; } = DateTime.UtcNow;
    public int Sent { get; private set; }

    public ChannelReader<string> Lines => _lines.Reader;

    private bool Selects(JsonObject? obj) =>
        obj is not null
        && (ns is null || obj["metadata"]?["namespace"]?.GetValue<string>() == ns)
        && fields.Matches(obj, type)
        && labels.Matches(obj);

    /// <summary>
    /// What this watcher sees of a change, as the apiserver's watch cache decides it: an object that comes into the selection is ADDED,
    /// one that leaves it is DELETED (its previous state at the change's resourceVersion), one that stays is MODIFIED.
    /// </summary>
    internal void Offer(Change change)
    {
        var now = change.Type != "DELETED" && Selects(change.Object);
        var before = change.Previous is not null && Selects(change.Previous);
        if (now && !before) Send("ADDED", change.Object);
        else if (now) Send("MODIFIED", change.Object);
        else if (before)
        {
            var gone = (JsonObject)change.Previous!.DeepClone();
            gone["metadata"]!["resourceVersion"] = change.ResourceVersion.ToString();
            Send("DELETED", gone);
        }
    }

    internal void Send(string type, JsonObject obj)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString(Wire.Options);
        if (_lines.Writer.TryWrite(line)) Sent++;
    }

    /// <summary>Ends the stream after the events already queued.</summary>
    internal void Close() => _lines.Writer.TryComplete();

    public JsonObject Describe() => new()
    {
        ["resource"] = type.Resource,
        ["namespace"] = ns,
        ["user"] = user,
        ["query"] = query,
        ["started"] = Started.ToString("O"),
        ["sent"] = Sent,
    };
}

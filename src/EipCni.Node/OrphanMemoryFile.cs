namespace EipCni.Node;

/// <summary>The orphan memory's file: <c>{"version":1,"orphans":{"eip-…":"2025-01-01T00:00:00+00:00"}}</c>.</summary>
public sealed class OrphanMemoryFile
{
    public int Version { get; init; } = 1;
    public Dictionary<string, DateTimeOffset>? Orphans { get; init; }
}

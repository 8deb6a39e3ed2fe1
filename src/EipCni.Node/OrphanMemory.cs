using System.Text.Json;

namespace EipCni.Node;

/// <summary>
/// When the sweep first saw each EIP orphaned (its node gone), so it acts only on what two passes at least the grace
/// period apart agree on. Kept in memory and in a small 0600 file in the state dir, so a restarted agent does not
/// start the wait over; a new leader on another node does (it waits longer, never shorter).
/// </summary>
public sealed class OrphanMemory
{
    private const int MaxFileBytes = 4 * 1024 * 1024;
    private readonly string? _path;
    private readonly Dictionary<string, DateTimeOffset> _firstSeen;

    private OrphanMemory(string? path, Dictionary<string, DateTimeOffset> firstSeen)
    {
        _path = path;
        _firstSeen = firstSeen;
    }

    /// <summary>Reads the file (none, or an unreadable one: an empty memory, logged); a null path keeps it in memory only.</summary>
    public static OrphanMemory Load(string? path, ILog log)
    {
        var entries = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (path is null) return new OrphanMemory(null, entries);
        try
        {
            if (PrivateFiles.Read(path, MaxFileBytes, ownerOnly: true) is { } bytes
                && JsonSerializer.Deserialize(bytes, NodeJsonContext.Default.OrphanMemoryFile) is { Orphans: { } saved })
                foreach (var (id, at) in saved) entries[id] = at;
        }
        catch (Exception e) when (e is IOException or JsonException or UnexpectedFileException or UnauthorizedAccessException)
        {
            log.Write(LogLevel.Warn, "cluster sweep: the orphan memory cannot be read; every orphan waits its grace period again", ("path", path), ("error", e.Message));
        }
        return new OrphanMemory(path, entries);
    }

    public IReadOnlyDictionary<string, DateTimeOffset> Entries => _firstSeen;

    /// <summary>When the EIP was first seen orphaned; <paramref name="now"/> when this is the first time (or the memory lies in the future).</summary>
    public DateTimeOffset FirstSeen(string allocationId, DateTimeOffset now)
    {
        if (_firstSeen.TryGetValue(allocationId, out var at) && at <= now) return at;
        return _firstSeen[allocationId] = now;
    }

    /// <summary>Forgets every EIP not orphaned in this pass: an orphan must be seen so in passes that follow each other.</summary>
    public void KeepOnly(IReadOnlySet<string> orphaned)
    {
        foreach (var id in _firstSeen.Keys.Where(id => !orphaned.Contains(id)).ToList()) _firstSeen.Remove(id);
    }

    public void Save()
    {
        if (_path is null) return;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new OrphanMemoryFile { Orphans = new(_firstSeen) }, NodeJsonContext.Default.OrphanMemoryFile);
        PrivateFiles.WriteAtomically(_path, bytes, durable: false);
    }
}

using System.Text.Json;

namespace EipCni.State;

/// <summary>
/// The on-disk journal: one JSON file per attachment under <c>stateDir/networks/NETWORK/</c>, written atomically
/// (temp file, fsync, rename, fsync of the directory) through <see cref="PrivateFiles"/>. Two kinds of locks, both fcntl
/// OFD locks: a per-attachment lock held for a whole ADD/DEL (so two invocations for one container never interleave,
/// while different pods proceed in parallel), and a short directory lock around every write, delete and listing.
/// </summary>
public sealed class Journal
{
    /// <summary>Records are a few KiB; anything far larger was not written by eip-cni.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    private bool _directoryReady;

    public Journal(string stateDir, string network)
    {
        StateDir = stateDir;
        Network = network;
        Directory = Path.Combine(stateDir, "networks", network);
    }

    public string StateDir { get; }
    public string Network { get; }
    public string Directory { get; }

    /// <summary>Holds the attachment for the whole verb; the kernel drops it if the process dies.</summary>
    public async Task<IDisposable> LockAttachmentAsync(AttachmentKey key, CancellationToken ct)
    {
        EnsureDirectory();
        return await FileLock.AcquireAsync(Path.Combine(Directory, key.FileStem + ".lock"), ct).ConfigureAwait(false);
    }

    /// <summary>Takes the attachment only if nobody holds it right now (opportunistic work never waits).</summary>
    public IDisposable? TryLockAttachment(AttachmentKey key)
    {
        EnsureDirectory();
        return FileLock.TryAcquire(Path.Combine(Directory, key.FileStem + ".lock"));
    }

    /// <summary>True when a record file exists: a stat, no lock, so the no-EIP DEL path stays cheap.</summary>
    public bool Exists(AttachmentKey key) => File.Exists(RecordPath(key));

    /// <summary>Any record at all in this network (GC's quick "nothing to do" check).</summary>
    public bool HasRecords() =>
        System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFiles(Directory, "*.json").Any(f => !Path.GetFileName(f).StartsWith('.'));

    /// <summary>
    /// The attachment's record, or null when there is none. Throws a <see cref="Cni.CniException"/> (5) when the
    /// journal directory is not safe to trust.
    /// </summary>
    public AttachmentRecord? Read(AttachmentKey key)
    {
        if (!DirectoryIsThere()) return null;
        var path = RecordPath(key);
        return PrivateFiles.Read(path, MaxRecordBytes) is { } bytes ? Decode(bytes, path) : null;
    }

    /// <summary>Writes the record atomically and durably; UpdatedAt is stamped here.</summary>
    public AttachmentRecord Write(AttachmentRecord record)
    {
        EnsureDirectory();
        var stamped = record with { UpdatedAt = DateTimeOffset.UtcNow, CreatedAt = record.CreatedAt == default ? DateTimeOffset.UtcNow : record.CreatedAt };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(stamped, StateJsonContext.Default.AttachmentRecord);
        using (DirectoryLock())
            PrivateFiles.WriteAtomically(RecordPath(record.Key), bytes, durable: true);
        return stamped;
    }

    public void Delete(AttachmentKey key)
    {
        using (DirectoryLock())
        {
            File.Delete(RecordPath(key));
            PrivateFiles.SyncDirectory(Directory);
        }
        try { File.Delete(Path.Combine(Directory, key.FileStem + ".lock")); } catch (IOException) { }
    }

    /// <summary>
    /// Deletes the record but remembers the next ClientToken generation of the attachment: a token's answer is replayed
    /// by the cloud long after its EIP was released, so a later ADD of the same container ID must not reuse it.
    /// </summary>
    public void Retire(AttachmentKey key, int nextGeneration)
    {
        EnsureDirectory();
        var gen = Path.Combine(Directory, key.FileStem + ".gen");
        PrivateFiles.WriteAtomically(gen, System.Text.Encoding.ASCII.GetBytes(nextGeneration.ToString(System.Globalization.CultureInfo.InvariantCulture)), durable: false);
        Delete(key);
    }

    /// <summary>
    /// Forgets generation markers older than <paramref name="age"/> (ClientTokens do not live that long), and the
    /// temporary files of writers that died before their rename.
    /// </summary>
    public int PruneRetired(TimeSpan age)
    {
        if (!System.IO.Directory.Exists(Directory)) return 0;
        var n = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.gen").Concat(System.IO.Directory.EnumerateFiles(Directory, ".*.tmp")))
            if (File.GetLastWriteTimeUtc(file) < DateTime.UtcNow - age)
            {
                try { File.Delete(file); n++; } catch (IOException) { }
            }
        return n;
    }

    /// <summary>The generation a new record of this attachment starts at (0 unless a retired one came before).</summary>
    public int StartGeneration(AttachmentKey key)
    {
        try
        {
            var bytes = PrivateFiles.Read(Path.Combine(Directory, key.FileStem + ".gen"), 64);
            return bytes is not null && int.TryParse(System.Text.Encoding.ASCII.GetString(bytes), out var g) && g >= 0 ? g : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Every record of this network (unreadable files are skipped and reported through <paramref name="onBadFile"/>).</summary>
    public IReadOnlyList<AttachmentRecord> List(Action<string, Exception>? onBadFile = null)
    {
        if (!DirectoryIsThere()) return [];
        var list = new List<AttachmentRecord>();
        using (DirectoryLock())
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
            {
                if (Path.GetFileName(path).StartsWith('.')) continue;
                try
                {
                    if (PrivateFiles.Read(path, MaxRecordBytes) is { } bytes) list.Add(Decode(bytes, path));
                }
                catch (Exception e) when (e is IOException or InvalidDataException)
                {
                    onBadFile?.Invoke(path, e);
                }
            }
        }
        return list;
    }

    /// <summary>Every network that has a journal directory under the state dir.</summary>
    public static IReadOnlyList<string> Networks(string stateDir)
    {
        var root = Path.Combine(stateDir, "networks");
        return System.IO.Directory.Exists(root) ? System.IO.Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().ToArray() : [];
    }

    private string RecordPath(AttachmentKey key) => Path.Combine(Directory, key.FileStem + ".json");

    private static AttachmentRecord Decode(byte[] bytes, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, StateJsonContext.Default.AttachmentRecord)
                ?? throw new InvalidDataException($"journal record {path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"journal record {path} is corrupt: {e.Message}", e);
        }
    }

    private FileLock DirectoryLock()
    {
        EnsureDirectory();
        // Writes are a few milliseconds; a holder that hangs longer than this is a bug worth failing on.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return FileLock.AcquireAsync(Path.Combine(Directory, ".dir.lock"), cts.Token).GetAwaiter().GetResult();
    }

    /// <summary>Verifies the directories without creating them; false when the journal directory does not exist yet.</summary>
    private bool DirectoryIsThere() => _directoryReady || (_directoryReady = PrivateFiles.VerifyExisting(StateDir, "networks", Network));

    /// <summary>Creates (0700) or verifies the state dir, networks/ and this network's directory, once per instance.</summary>
    private void EnsureDirectory()
    {
        if (_directoryReady) return;
        PrivateFiles.EnsureDirectory(StateDir, "networks", Network);
        _directoryReady = true;
    }
}

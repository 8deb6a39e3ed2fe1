using System.Text.Json;

namespace EipCni.State;

/// <summary>
/// The on-disk journal: one JSON file per attachment under <c>stateDir/networks/NETWORK/</c>, written atomically
/// (temp file, fsync, rename, fsync of the directory) through <see cref="PrivateFiles"/>. Two kinds of locks, both fcntl
/// OFD locks: a per-attachment lock held for a whole ADD/DEL (so two invocations for one container never interleave,
/// while different pods proceed in parallel), and a short directory lock around every write, delete and listing.
/// </summary>
/// <remarks>
/// A record that cannot be read as this attachment's record (not JSON, fields missing, another attachment's key, a
/// link or a FIFO, too large) is quarantined: renamed to <c>NAME.json.corrupt-TIMESTAMP</c>, logged at error and added
/// to <see cref="Quarantined"/>, and then treated as absent. Failing on it would fail the attachment's every ADD and
/// CHECK for good; the cloud's ownership tags still let the engine find its EIP by container ID.
/// </remarks>
public sealed class Journal
{
    /// <summary>Records are a few KiB; anything far larger was not written by eip-cni.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    private readonly ILog? _log;
    private List<QuarantinedRecord>? _quarantined;
    private bool _directoryVerified, _directoryEnsured;

    /// <param name="log">Where a quarantined record is reported (at error); without one, only <see cref="Quarantined"/> tells.</param>
    public Journal(string stateDir, string network, ILog? log = null)
    {
        StateDir = stateDir;
        Network = network;
        Directory = Path.Combine(stateDir, "networks", network);
        _log = log;
    }

    public string StateDir { get; }
    public string Network { get; }
    public string Directory { get; }

    /// <summary>Records this instance moved aside because they could not be read, oldest first.</summary>
    public IReadOnlyList<QuarantinedRecord> Quarantined => _quarantined ?? [];

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
    /// The attachment's record, or null when there is none. A record that cannot be read is quarantined and reads as
    /// none. Throws a <see cref="Cni.CniException"/> (5) when the journal directory is not safe to trust.
    /// </summary>
    public AttachmentRecord? Read(AttachmentKey key)
    {
        if (!DirectoryIsThere()) return null;
        var path = RecordPath(key);
        if (TryLoad(path, out var record, out _)) return record;
        using (DirectoryLock())
        {
            // A writer may have replaced it meanwhile: only what is still unreadable under the lock is moved aside.
            if (TryLoad(path, out record, out var problem)) return record;
            Quarantine(path, problem!);
        }
        return null;
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
    /// <remarks>A record that cannot be read is quarantined, then reported through <paramref name="onBadFile"/> too.</remarks>
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
                    if (TryLoad(path, out var record, out var problem))
                    {
                        if (record is not null) list.Add(record);
                    }
                    else
                    {
                        var moved = Quarantine(path, problem!);
                        onBadFile?.Invoke(path, new InvalidDataException(moved is null ? problem : $"{problem}; moved aside to {moved.MovedTo}"));
                    }
                }
                catch (IOException e)
                {
                    onBadFile?.Invoke(path, e);
                }
            }
        }
        return list;
    }

    /// <summary>Where earlier reads moved this attachment's unreadable records, newest first.</summary>
    public IReadOnlyList<string> QuarantinedCopies(AttachmentKey key) =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, key.FileStem + ".json.corrupt-*").OrderDescending(StringComparer.Ordinal).ToArray()
            : [];

    /// <summary>Every network that has a journal directory under the state dir.</summary>
    public static IReadOnlyList<string> Networks(string stateDir)
    {
        var root = Path.Combine(stateDir, "networks");
        return System.IO.Directory.Exists(root) ? System.IO.Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().ToArray() : [];
    }

    private string RecordPath(AttachmentKey key) => Path.Combine(Directory, key.FileStem + ".json");

    /// <summary>
    /// Reads the record at <paramref name="path"/>: true with the record (null when there is no file), or false with
    /// why it cannot be this attachment's record. A failing read (EIO) throws.
    /// </summary>
    private bool TryLoad(string path, out AttachmentRecord? record, out string? problem)
    {
        record = null;
        problem = null;
        try
        {
            if (PrivateFiles.Read(path, MaxRecordBytes) is not { } bytes) return true;
            record = Decode(bytes, path);
            return true;
        }
        catch (Exception e) when (e is UnexpectedFileException or InvalidDataException)
        {
            problem = e.Message;
            return false;
        }
    }

    private AttachmentRecord Decode(byte[] bytes, string path)
    {
        AttachmentRecord record;
        try
        {
            record = JsonSerializer.Deserialize(bytes, StateJsonContext.Default.AttachmentRecord)
                ?? throw new InvalidDataException($"journal record {path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"journal record {path} is corrupt: {e.Message}", e);
        }
        // The file name is the key: a record that names another attachment cannot be this one's.
        if (record.Network != Network || record.Key.FileStem + ".json" != Path.GetFileName(path))
            throw new InvalidDataException($"journal record {path} names another attachment ({record.Key})");
        return record;
    }

    /// <summary>Moves an unreadable record aside (the directory lock is held); null when it was gone already.</summary>
    private QuarantinedRecord? Quarantine(string path, string problem)
    {
        var movedTo = $"{path}.corrupt-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss.fff'Z'}";
        if (Libc.rename(path, movedTo) != 0)
        {
            var errno = Libc.Errno;
            if (errno == Tmds.Linux.LibC.ENOENT) return null;
            throw new IOException($"cannot move the unreadable journal record {path} aside: {Libc.Describe(errno)}");
        }
        PrivateFiles.SyncDirectory(Directory);
        var quarantined = new QuarantinedRecord(path, movedTo, problem);
        (_quarantined ??= []).Add(quarantined);
        _log?.Write(LogLevel.Error, "journal record could not be read; moved aside and treated as absent",
            ("path", path), ("movedTo", movedTo), ("error", problem));
        return quarantined;
    }

    private FileLock DirectoryLock()
    {
        EnsureDirectory();
        // Writes are a few milliseconds; a holder that hangs longer than this is a bug worth failing on.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return FileLock.AcquireAsync(Path.Combine(Directory, ".dir.lock"), cts.Token).GetAwaiter().GetResult();
    }

    /// <summary>Verifies the directories without creating them; false when the journal directory does not exist yet.</summary>
    private bool DirectoryIsThere() => _directoryVerified || (_directoryVerified = PrivateFiles.VerifyExisting(StateDir, "networks", Network));

    /// <summary>Creates (0700) or verifies (and tightens) the state dir, networks/ and this network's directory, once per instance.</summary>
    private void EnsureDirectory()
    {
        if (_directoryEnsured) return;
        PrivateFiles.EnsureDirectory(StateDir, "networks", Network);
        _directoryEnsured = _directoryVerified = true;
    }
}

using System.Text.Json;

namespace EipCni.State;

/// <summary>
/// The on-disk journal: one JSON file per attachment under <c>stateDir/networks/NETWORK/</c>, written atomically
/// (temp file, fsync, rename, fsync of the directory). Two kinds of locks, both fcntl OFD locks:
/// a per-attachment lock held for a whole ADD/DEL (so two invocations for one container never interleave, while
/// different pods proceed in parallel), and a short directory lock around every write, delete and listing.
/// </summary>
public sealed class Journal
{
    private const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

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

    public AttachmentRecord? Read(AttachmentKey key)
    {
        var path = RecordPath(key);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        return Decode(bytes, path);
    }

    /// <summary>Writes the record atomically and durably; UpdatedAt is stamped here.</summary>
    public AttachmentRecord Write(AttachmentRecord record)
    {
        EnsureDirectory();
        var stamped = record with { UpdatedAt = DateTimeOffset.UtcNow, CreatedAt = record.CreatedAt == default ? DateTimeOffset.UtcNow : record.CreatedAt };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(stamped, StateJsonContext.Default.AttachmentRecord);
        var target = RecordPath(record.Key);
        var temp = Path.Combine(Directory, $".{record.Key.FileStem}.{Environment.ProcessId}.tmp");
        using (DirectoryLock())
        {
            using (var fs = new FileStream(temp, new FileStreamOptions
            {
                Mode = System.IO.FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = FileMode,
            }))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
            SyncDirectory();
        }
        return stamped;
    }

    public void Delete(AttachmentKey key)
    {
        using (DirectoryLock())
        {
            File.Delete(RecordPath(key));
            SyncDirectory();
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
        File.WriteAllText(gen, nextGeneration.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.SetUnixFileMode(gen, FileMode);
        Delete(key);
    }

    /// <summary>Forgets generation markers older than <paramref name="age"/> (ClientTokens do not live that long).</summary>
    public int PruneRetired(TimeSpan age)
    {
        if (!System.IO.Directory.Exists(Directory)) return 0;
        var n = 0;
        foreach (var gen in System.IO.Directory.EnumerateFiles(Directory, "*.gen"))
            if (File.GetLastWriteTimeUtc(gen) < DateTime.UtcNow - age)
            {
                try { File.Delete(gen); n++; } catch (IOException) { }
            }
        return n;
    }

    /// <summary>The generation a new record of this attachment starts at (0 unless a retired one came before).</summary>
    public int StartGeneration(AttachmentKey key)
    {
        try
        {
            return int.TryParse(File.ReadAllText(Path.Combine(Directory, key.FileStem + ".gen")), out var g) && g >= 0 ? g : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Every record of this network (unreadable files are skipped and reported through <paramref name="onBadFile"/>).</summary>
    public IReadOnlyList<AttachmentRecord> List(Action<string, Exception>? onBadFile = null)
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var list = new List<AttachmentRecord>();
        using (DirectoryLock())
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
            {
                if (Path.GetFileName(path).StartsWith('.')) continue;
                try
                {
                    list.Add(Decode(File.ReadAllBytes(path), path));
                }
                catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
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

    private void EnsureDirectory()
    {
        if (System.IO.Directory.Exists(Directory)) return;
        System.IO.Directory.CreateDirectory(StateDir, DirMode);
        System.IO.Directory.CreateDirectory(Path.Combine(StateDir, "networks"), DirMode);
        System.IO.Directory.CreateDirectory(Directory, DirMode);
    }

    private void SyncDirectory()
    {
        // fsync of the directory makes the rename itself durable across a power loss.
        var fd = open(Directory, Tmds.Linux.LibC.O_RDONLY | Tmds.Linux.LibC.O_DIRECTORY | Tmds.Linux.LibC.O_CLOEXEC);
        if (fd < 0) return;
        fsync(fd);
        close(fd);
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", SetLastError = true)]
    private static extern int open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc.so.6")]
    private static extern int fsync(int fd);

    [System.Runtime.InteropServices.DllImport("libc.so.6")]
    private static extern int close(int fd);
}

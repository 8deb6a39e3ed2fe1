using EipCni.Cni;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace EipCni;

/// <summary>
/// How eip-cni writes under its state dir (journal, locks, ENI and credential caches, the STATUS probe): directories
/// 0700 owned by the user it runs as, files 0600, and nothing followed or reused that someone else could have planted.
/// </summary>
/// <remarks>
/// Every directory from the state dir down is created 0700 or, when it already exists, must be a directory (not a
/// symbolic link) owned by the effective user that neither group nor others can write: then nobody else can add, swap
/// or rename an entry in it, and the paths below it can be trusted; remaining group/other bits are removed (0700).
/// Anything else is refused (code 5; STATUS 50), never repaired: a state dir that someone else could write may already
/// hold planted records. Files are opened with
/// <c>O_NOFOLLOW</c>; a new file is written under a random name with <c>O_EXCL</c>, then renamed over the target (a
/// rename replaces a planted link instead of following it). The parents of the state dir are not checked: the path is
/// root's choice in the conflist, like the directories it lives in.
/// </remarks>
public static class PrivateFiles
{
    /// <summary>rwx------</summary>
    public const uint DirectoryMode = 0b111_000_000;

    /// <summary>rw-------</summary>
    public const uint FileMode = 0b110_000_000;

    private const uint GroupOtherBits = 0b000_111_111;
    private const uint GroupOtherWriteBits = 0b000_010_010;

    /// <summary>
    /// Creates (0700) or verifies <paramref name="stateDir"/> and each of <paramref name="subdirectories"/> below it, in
    /// order, removing group/other bits that grant no write; returns the deepest path. Throws a
    /// <see cref="CniException"/> (5) naming the directory and what is wrong.
    /// </summary>
    public static string EnsureDirectory(string stateDir, params ReadOnlySpan<string> subdirectories)
    {
        var path = stateDir;
        Ensure(path, isRoot: true);
        foreach (var sub in subdirectories)
        {
            path = Path.Combine(path, sub);
            Ensure(path, isRoot: false);
        }
        return path;
    }

    /// <summary>
    /// STATUS: creates the state dir (0700) when it is absent, else verifies it, changing nothing. A directory that is
    /// only too readable is fine: the engine tightens it on its first write. (No chmod here: every libc import of the
    /// hot path costs each pod a symbol lookup at start-up.)
    /// </summary>
    public static void CreateOrVerify(string stateDir)
    {
        if (Inspect(stateDir) == State.Absent) Create(stateDir, isRoot: true);
    }

    /// <summary>Verifies existing directories without creating or changing any; false when one of them is absent.</summary>
    public static bool VerifyExisting(string stateDir, params ReadOnlySpan<string> subdirectories)
    {
        var path = stateDir;
        if (Inspect(path) == State.Absent) return false;
        foreach (var sub in subdirectories)
        {
            path = Path.Combine(path, sub);
            if (Inspect(path) == State.Absent) return false;
        }
        return true;
    }

    /// <summary>
    /// Reads a file in a verified directory: never through a symbolic link, a regular file only, at most
    /// <paramref name="maxBytes"/>. <paramref name="ownerOnly"/>: also refused when another user owns it or it has group
    /// or other bits (a secret that was exposed). Null when it does not exist. A file eip-cni cannot have written this
    /// way is an <see cref="UnexpectedFileException"/>, a failing read an <see cref="IOException"/>; both name the file.
    /// </summary>
    public static byte[]? Read(string path, int maxBytes, bool ownerOnly = false)
    {
        var fd = Libc.open(path, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Libc.Errno;
            if (errno == LibC.ENOENT) return null;
            if (errno == LibC.ELOOP) throw new UnexpectedFileException($"{path} is a symbolic link, which eip-cni does not follow");
            throw new IOException($"cannot open {path}: {Libc.Describe(errno)}");
        }
        try
        {
            if (Libc.fstat(fd, out var st) != 0) throw new IOException($"cannot stat {path}: {Libc.Describe(Libc.Errno)}");
            if (!Libc.IsRegular(st)) throw new UnexpectedFileException($"{path} is {Libc.Kind(st)}, not a regular file");
            if (ownerOnly && (uint)st.st_uid != Libc.geteuid())
                throw new UnexpectedFileException($"{path} is owned by uid {(uint)st.st_uid}, not by uid {Libc.geteuid()} that eip-cni runs as");
            if (ownerOnly && (Libc.Mode(st) & GroupOtherBits) != 0)
                throw new UnexpectedFileException($"{path} has mode {Libc.Octal(Libc.Mode(st))}: group or others may read it");
            return Libc.ReadAll(fd, (long)st.st_size, maxBytes, path,
                () => new UnexpectedFileException($"{path} is larger than the limit of {maxBytes} bytes"));
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>
    /// Replaces the file at <paramref name="path"/> atomically with a new 0600 file: written under a random name created
    /// with <c>O_EXCL|O_NOFOLLOW</c>, then renamed over it. <paramref name="durable"/>: fsync the file before the rename
    /// and the directory after it, so the new content survives a power loss.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content, bool durable)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{RandomSuffix()}.tmp");
        var fd = Libc.open(temp, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, FileMode);
        if (fd < 0) throw new IOException($"cannot create {temp}: {Libc.Describe(Libc.Errno)}");
        try
        {
            try
            {
                Libc.WriteAll(fd, content);
            }
            catch (IOException e)
            {
                throw new IOException($"cannot write {temp}: {e.Message}", e);
            }
            if (durable && Libc.fsync(fd) != 0) throw new IOException($"cannot fsync {temp}: {Libc.Describe(Libc.Errno)}");
            Libc.close(fd);
            fd = -1;
            if (Libc.rename(temp, path) != 0) throw new IOException($"cannot rename {temp} to {path}: {Libc.Describe(Libc.Errno)}");
        }
        catch
        {
            if (fd >= 0) Libc.close(fd);
            Libc.unlink(temp);
            throw;
        }
        if (durable) SyncDirectory(directory);
    }

    /// <summary>Opens a lock file (created 0600 if absent) in a verified directory, never through a symbolic link.</summary>
    public static SafeFileHandle OpenLockFile(string path)
    {
        var fd = Libc.open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_NOFOLLOW | LibC.O_NONBLOCK | LibC.O_CLOEXEC, FileMode);
        if (fd < 0)
        {
            var errno = Libc.Errno;
            throw new IOException(errno == LibC.ELOOP ? $"lock file {path} is a symbolic link, which eip-cni does not follow" : $"cannot open lock file {path}: {Libc.Describe(errno)}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Libc.fstat(fd, out var st) != 0 || !Libc.IsRegular(st))
        {
            handle.Dispose();
            throw new IOException($"lock file {path} is not a regular file");
        }
        return handle;
    }

    /// <summary>Proves the directory writable (STATUS): creates a file with a random name, exclusively, and removes it.</summary>
    public static void Probe(string directory)
    {
        var probe = Path.Combine(directory, $".status-{RandomSuffix()}");
        var fd = Libc.open(probe, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, FileMode);
        if (fd < 0) throw new IOException($"cannot create a file in {directory}: {Libc.Describe(Libc.Errno)}");
        Libc.close(fd);
        Libc.unlink(probe);
    }

    /// <summary>fsync of a directory makes a rename in it durable across a power loss.</summary>
    public static void SyncDirectory(string directory)
    {
        var fd = Libc.open(directory, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd < 0) return;
        Libc.fsync(fd);
        Libc.close(fd);
    }

    /// <summary>16 hex digits from the OS random source (a v4 Guid's bytes): a name nobody can plant in advance.</summary>
    public static string RandomSuffix()
    {
        // Not Guid.ToString: its formatting code cost the hot path 2.5 KB of image, which every pod pays at start-up.
        Span<byte> random = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(random);
        Span<char> hex = stackalloc char[16];
        for (var i = 0; i < 8; i++)
        {
            hex[2 * i] = "0123456789abcdef"[random[i] >> 4];
            hex[2 * i + 1] = "0123456789abcdef"[random[i] & 0xF];
        }
        return new string(hex);
    }

    private enum State { Absent, Private, TooReadable }

    private static void Ensure(string path, bool isRoot)
    {
        var state = Inspect(path);
        if (state == State.Absent) state = Create(path, isRoot);
        // Ours, and nobody else could add or swap an entry: only tightened. STATUS before this check created the state
        // dir with the default mode (0755), and an upgrade must not make every such node NotReady.
        if (state == State.TooReadable && Libc.chmod(path, DirectoryMode) != 0)
            throw new CniException(CniCode.IoFailure, $"cannot make the state directory {path} 0700", Libc.Describe(Libc.Errno));
    }

    private static State Create(string path, bool isRoot)
    {
        if (isRoot)
        {
            // The state dir's parents (e.g. /var/lib/cni) are ordinary system directories.
            var parent = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(parent))
            {
                try
                {
                    Directory.CreateDirectory(parent);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CniException(CniCode.IoFailure, $"cannot create the state directory {path}", e.Message);
                }
            }
        }
        if (Libc.mkdir(path, DirectoryMode) == 0) return State.Private;
        var errno = Libc.Errno;
        // Another process created it meanwhile: what is there is verified like any existing directory.
        if (errno == LibC.EEXIST && Inspect(path) is var raced and not State.Absent) return raced;
        throw new CniException(CniCode.IoFailure, $"cannot create the state directory {path}", Libc.Describe(errno));
    }

    /// <summary>Whether the directory is absent, private, or ours but too readable; throws when someone else could write to it.</summary>
    private static State Inspect(string path)
    {
        if (Libc.lstat(path, out var st) != 0)
        {
            var errno = Libc.Errno;
            if (errno == LibC.ENOENT) return State.Absent;
            throw new CniException(CniCode.IoFailure, $"cannot use the state directory {path}", Libc.Describe(errno));
        }
        var euid = Libc.geteuid();
        var mode = Libc.Mode(st);
        var problem =
            !Libc.IsDirectory(st) ? $"it is {Libc.Kind(st)}, not a directory"
            : (uint)st.st_uid != euid ? $"it is owned by uid {(uint)st.st_uid}, not by uid {euid} that eip-cni runs as"
            : (mode & GroupOtherWriteBits) != 0 ? $"its mode {Libc.Octal(mode)} lets group or others write to it"
            : null;
        if (problem is null) return (mode & GroupOtherBits) != 0 ? State.TooReadable : State.Private;
        throw new CniException(CniCode.IoFailure, $"refusing the state directory {path}: {problem}",
            $"eip-cni keeps its journal, locks and cached credentials there, so it must be a directory owned by uid {euid} with mode 0700 "
            + "and nobody else may have been able to write to it; check what is in it, then fix it (chown, chmod 0700) or remove it");
    }
}

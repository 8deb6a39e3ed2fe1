namespace EipCni.Node;

/// <summary>
/// Replaces a file in the runtime's directories so that no reader ever sees a half-written one: a new file under a
/// temporary name in the same directory, fsync, rename over the target, fsync of the directory.
/// </summary>
/// <remarks>
/// The temporary name <c>.eip-cni-RANDOM.tmp</c> ends in none of the extensions the runtime loads, so containerd, which
/// reloads its CNI config on write, rename and remove events in the conf dir (it ignores create), never loads it, and
/// the rename is the one event that makes it read the new config. In the bin dir a rename also replaces a binary the
/// runtime may be executing at that moment: writing into that file would fail with ETXTBSY (text file busy), and the
/// running process keeps the old inode.
/// </remarks>
internal static class AtomicFile
{
    public const string TempPrefix = ".eip-cni-";
    public const string TempSuffix = ".tmp";

    public static void Write(string target, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var bytes = content.ToArray();
        Write(target, stream => stream.Write(bytes), mode);
    }

    public static void Copy(string source, string target, UnixFileMode mode) =>
        Write(target, stream =>
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            input.CopyTo(stream, 1 << 16);
        }, mode);

    private static void Write(string target, Action<Stream> content, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(target)!;
        var temp = Path.Combine(directory, TempPrefix + PrivateFiles.RandomSuffix() + TempSuffix);
        try
        {
            // CreateNew is O_CREAT|O_EXCL: a name planted in advance (even a symbolic link) fails instead of being followed.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = mode };
            using (var stream = new FileStream(temp, options))
            {
                File.SetUnixFileMode(stream.SafeFileHandle, mode); // exactly this mode, whatever the umask
                content(stream);
                stream.Flush(flushToDisk: true);
            }
            if (Libc.rename(temp, target) != 0) throw new IOException($"cannot rename {temp} to {target}: {Libc.Describe(Libc.Errno)}");
        }
        catch
        {
            Libc.unlink(temp);
            throw;
        }
        PrivateFiles.SyncDirectory(directory);
    }

    /// <summary>Renames within one directory (atomic, and the runtime sees one event), then makes it durable.</summary>
    public static void Rename(string from, string to)
    {
        if (Libc.rename(from, to) != 0) throw new IOException($"cannot rename {from} to {to}: {Libc.Describe(Libc.Errno)}");
        PrivateFiles.SyncDirectory(Path.GetDirectoryName(to)!);
    }

    /// <summary>Removes a file; false when it was not there.</summary>
    public static bool Remove(string path)
    {
        if (Libc.unlink(path) == 0)
        {
            PrivateFiles.SyncDirectory(Path.GetDirectoryName(path)!);
            return true;
        }
        var errno = Libc.Errno;
        if (errno == Tmds.Linux.LibC.ENOENT) return false;
        throw new IOException($"cannot remove {path}: {Libc.Describe(errno)}");
    }
}

using Tmds.Linux;

namespace EipCni.Node;

/// <summary>
/// Keeps <c>eip-cni</c> and <c>eip-cni-agent</c> in the CNI bin dir identical to the agent's own copies: a target with the
/// same bytes and mode 0755 is left alone (a runtime may be executing it, and the run mode must not write on a no-op);
/// anything else is replaced through <see cref="AtomicFile"/>.
/// </summary>
internal sealed class BinaryCopies
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>(source, target) pairs already compared, by their stat identity: the run mode re-checks without reading 15 MB.</summary>
    private readonly Dictionary<string, (Identity Source, Identity Target)> _verified = new(StringComparer.Ordinal);

    /// <summary>Makes <paramref name="target"/> a copy of <paramref name="source"/>; true when it had to be written.</summary>
    public bool Ensure(string source, string target)
    {
        var sourceIdentity = Identity.Of(source) ?? throw new IOException($"{source} does not exist");
        var targetIdentity = Identity.Of(target);
        if (targetIdentity is { } t && _verified.TryGetValue(target, out var known) && known == (sourceIdentity, t)) return false;
        if (targetIdentity is { } present && present.IsRegular && present.Permissions == (uint)Mode && present.Size == sourceIdentity.Size
            && SameContent(source, target))
        {
            _verified[target] = (sourceIdentity, present);
            return false;
        }
        AtomicFile.Copy(source, target, Mode);
        if (Identity.Of(target) is { } written) _verified[target] = (sourceIdentity, written);
        return true;
    }

    public void Forget(string target) => _verified.Remove(target);

    private static bool SameContent(string a, string b)
    {
        using var x = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        using var y = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var bufferA = new byte[1 << 16];
        var bufferB = new byte[1 << 16];
        while (true)
        {
            var n = x.ReadAtLeast(bufferA, bufferA.Length, throwOnEndOfStream: false);
            var m = y.ReadAtLeast(bufferB, bufferB.Length, throwOnEndOfStream: false);
            if (n != m || !bufferA.AsSpan(0, n).SequenceEqual(bufferB.AsSpan(0, m))) return false;
            if (n == 0) return true;
        }
    }

    /// <summary>What lstat says of a file: any write or replacement changes it (ctime moves even when mtime is set back).</summary>
    private readonly record struct Identity(ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs, uint Kind, uint Permissions)
    {
        public bool IsRegular => Kind == (uint)LibC.S_IFREG;

        public static Identity? Of(string path)
        {
            if (Libc.lstat(path, out var st) != 0)
            {
                var errno = Libc.Errno;
                if (errno == LibC.ENOENT) return null;
                throw new IOException($"cannot stat {path}: {Libc.Describe(errno)}");
            }
            var mode = Libc.Mode(st);
            return new Identity((ulong)st.st_dev, (ulong)st.st_ino, (long)st.st_size,
                (long)st.st_mtim.tv_sec * 1_000_000_000 + (long)st.st_mtim.tv_nsec,
                (long)st.st_ctim.tv_sec * 1_000_000_000 + (long)st.st_ctim.tv_nsec,
                mode & (uint)LibC.S_IFMT, mode & 0xFFF);
        }
    }
}

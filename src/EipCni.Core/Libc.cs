using System.Runtime.InteropServices;
using Tmds.Linux;

namespace EipCni;

/// <summary>
/// The libc calls behind eip-cni's file handling, in one place. Tmds.LibC supplies the constants and structs; the
/// functions are imported here with strings and refs (its own imports take pointers, which need unsafe code). The
/// executables bind them at link time (DirectPInvoke), so no call pays for a lazy lookup.
/// </summary>
internal static class Libc
{
    private const string Lib = "libc.so.6";

    [DllImport(Lib, SetLastError = true)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint read(int fd, ref byte buffer, nint count);

    [DllImport(Lib, SetLastError = true)]
    public static extern nint write(int fd, ref byte buffer, nint count);

    [DllImport(Lib)]
    public static extern int close(int fd);

    // fstat and lstat through the glibc entry points the runtime itself links (__fxstat64, __lxstat64; version 1 is
    // x86_64's struct stat): the GLIBC_2.33 fstat/lstat symbols would add two lookups and a version check to every
    // start of eip-cni, and require glibc 2.33.
    private const int StatVersion = 1;

    [DllImport(Lib, EntryPoint = "__fxstat64", SetLastError = true)]
    private static extern int fxstat(int version, int fd, out stat buffer);

    [DllImport(Lib, EntryPoint = "__lxstat64", SetLastError = true)]
    private static extern int lxstat(int version, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, out stat buffer);

    public static int fstat(int fd, out stat buffer) => fxstat(StatVersion, fd, out buffer);

    public static int lstat(string path, out stat buffer) => lxstat(StatVersion, path, out buffer);

    [DllImport(Lib, SetLastError = true)]
    public static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport(Lib, SetLastError = true)]
    public static extern int chmod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport(Lib, SetLastError = true)]
    public static extern int fsync(int fd);

    [DllImport(Lib, SetLastError = true)]
    public static extern int rename([MarshalAs(UnmanagedType.LPUTF8Str)] string from, [MarshalAs(UnmanagedType.LPUTF8Str)] string to);

    [DllImport(Lib, SetLastError = true)]
    public static extern int unlink([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport(Lib)]
    public static extern uint geteuid();

    [DllImport(Lib, SetLastError = true)]
    public static extern int fcntl(int fd, int cmd, ref flock lk);

    /// <summary>errno of the last import called with SetLastError.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>strerror: "No such file or directory".</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static uint Mode(in stat st) => (uint)st.st_mode;

    public static bool IsRegular(in stat st) => (Mode(st) & (uint)LibC.S_IFMT) == (uint)LibC.S_IFREG;

    public static bool IsDirectory(in stat st) => (Mode(st) & (uint)LibC.S_IFMT) == (uint)LibC.S_IFDIR;

    /// <summary>What a file that is not a regular file is, for messages: "a FIFO", "a directory", ...</summary>
    public static string Kind(in stat st) => (Mode(st) & (uint)LibC.S_IFMT) switch
    {
        var t when t == (uint)LibC.S_IFREG => "a regular file",
        var t when t == (uint)LibC.S_IFDIR => "a directory",
        var t when t == (uint)LibC.S_IFLNK => "a symbolic link",
        var t when t == (uint)LibC.S_IFIFO => "a FIFO",
        var t when t == (uint)LibC.S_IFCHR => "a character device",
        var t when t == (uint)LibC.S_IFBLK => "a block device",
        var t when t == (uint)LibC.S_IFSOCK => "a socket",
        _ => "not a regular file",
    };

    /// <summary>Permission bits in octal, as ls and chmod show them: "0755".</summary>
    public static string Octal(uint mode) => "0" + Convert.ToString(mode & 0xFFF, 8).PadLeft(3, '0');

    /// <summary>Writes all of <paramref name="data"/> (a short write or a signal continues where it stopped); throws with strerror.</summary>
    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var written = write(fd, ref MemoryMarshal.GetReference(data), data.Length);
            if (written < 0)
            {
                var errno = Errno;
                if (errno == LibC.EINTR) continue;
                throw new IOException(Describe(errno));
            }
            data = data[(int)written..];
        }
    }

    /// <summary>
    /// Reads an open regular file whole, at most <paramref name="maxBytes"/>: one byte more than the limit is asked for,
    /// so a file that grew after fstat is still caught.
    /// </summary>
    public static byte[] ReadAll(int fd, long sizeHint, int maxBytes, string path, Func<Exception> tooLarge)
    {
        var buffer = new byte[(int)Math.Min(Math.Max(sizeHint, 0), maxBytes) + 1];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > maxBytes) throw tooLarge();
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1L));
            }
            var n = read(fd, ref buffer[length], buffer.Length - length);
            if (n < 0)
            {
                var errno = Errno;
                if (errno == LibC.EINTR) continue;
                throw new IOException($"cannot read {path}: {Describe(errno)}");
            }
            if (n == 0) break;
            length += (int)n;
        }
        if (length > maxBytes) throw tooLarge();
        return buffer.AsSpan(0, length).ToArray();
    }
}

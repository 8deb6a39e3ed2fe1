using System.Runtime.InteropServices;
using Tmds.Linux;

// Every import of this assembly is source-generated (LibraryImport): nothing is left to the runtime's marshaller, and
// Tmds.LibC's structs (stat, flock) pass as they are.
[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]

namespace EipCni;

/// <summary>
/// Every libc call of both binaries, in one place, one way: Tmds.LibC supplies the constants and structs, and each
/// function is a source-generated <c>[LibraryImport]</c> here taking strings and refs (the package's own imports take
/// pointers, which would spread unsafe code through every caller). The executables bind them at link time
/// (DirectPInvoke), so no call pays for a lazy lookup.
/// </summary>
public static partial class Libc
{
    private const string Lib = "libc.so.6";

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint read(int fd, ref byte buffer, nint count);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint write(int fd, ref byte buffer, nint count);

    [LibraryImport(Lib)]
    public static partial int close(int fd);

    // fstat and lstat through the glibc entry points the runtime itself links (__fxstat64, __lxstat64; version 1 is
    // x86_64's struct stat): the GLIBC_2.33 fstat/lstat symbols would add two lookups and a version check to every
    // start of eip-cni, and require glibc 2.33.
    private const int StatVersion = 1;

    [LibraryImport(Lib, EntryPoint = "__fxstat64", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int fxstat(int version, int fd, out stat buffer);

    [LibraryImport(Lib, EntryPoint = "__lxstat64", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lxstat(int version, string path, out stat buffer);

    public static int fstat(int fd, out stat buffer) => fxstat(StatVersion, fd, out buffer);

    public static int lstat(string path, out stat buffer) => lxstat(StatVersion, path, out buffer);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fsync(int fd);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rename(string from, string to);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlink(string path);

    [LibraryImport(Lib)]
    public static partial uint geteuid();

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fcntl(int fd, int cmd, ref flock lk);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int execv(string path, string?[] argv);

    [LibraryImport(Lib, SetLastError = true)]
    public static unsafe partial int pipe2(int* fds, int flags);

    /// <summary>glibc's posix_spawn_file_actions_t is 80 bytes on x86_64; callers allocate it (see <see cref="SpawnFileActionsSize"/>).</summary>
    public const int SpawnFileActionsSize = 80;

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(nint actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(nint actions, int fd, int newfd);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(nint actions);

    /// <summary>Returns 0 or an error number (not errno).</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int posix_spawn(out int pid, string path, nint fileActions, nint attributes, string?[] argv, string?[] envp);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    public const int PR_SET_PDEATHSIG = 1;
    public const int PR_SET_DUMPABLE = 4;

    [LibraryImport(Lib)]
    public static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport(Lib)]
    public static partial int getppid();

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

using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace EipCni;

/// <summary>
/// An exclusive advisory lock on a file, shared by every process on the node.
/// </summary>
/// <remarks>
/// Uses Linux open file description (OFD) locks (<c>fcntl(F_OFD_SETLK)</c>): unlike classic POSIX
/// <c>F_SETLK</c> locks, which belong to the process (a second descriptor in the same process would
/// silently "succeed" and closing any descriptor drops them), OFD locks belong to the open file, so
/// they also exclude other threads and other descriptors of this process. The kernel releases the
/// lock when the descriptor closes, including when the process dies. OFD locks conflict with
/// classic POSIX record locks taken by other processes, so tools using <c>lockf</c> interoperate.
/// Waiting polls the non-blocking call: a blocking <c>F_OFD_SETLKW</c> cannot be cancelled
/// without signals, and every wait here must end at the caller's deadline.
/// </remarks>
public sealed class FileLock : IDisposable
{
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(50);

    private readonly SafeFileHandle _handle;

    private FileLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The locked file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock if it is free right now; null when someone else holds it.</summary>
    public static FileLock? TryAcquire(string path)
    {
        var handle = Open(path);
        try
        {
            if (TryLock(handle, path)) return new FileLock(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        handle.Dispose();
        return null;
    }

    /// <summary>Waits for the lock until it is taken or <paramref name="cancellationToken"/> fires (then throws <see cref="OperationCanceledException"/>).</summary>
    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        var handle = Open(path);
        try
        {
            var interval = TimeSpan.FromMilliseconds(2);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (TryLock(handle, path)) return new FileLock(path, handle);
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxPollInterval.Ticks));
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Waits at most <paramref name="timeout"/> (and never past <paramref name="cancellationToken"/>); null on timeout.</summary>
    public static async Task<FileLock?> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await AcquireAsync(path, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Closes the descriptor, which releases the lock.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>The caller has verified the directory (<see cref="PrivateFiles.EnsureDirectory"/>); the file is 0600 and never a link.</summary>
    private static SafeFileHandle Open(string path)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("file locks need Linux OFD locks");
        return PrivateFiles.OpenLockFile(path);
    }

    private static bool TryLock(SafeFileHandle handle, string path)
    {
        var request = new flock
        {
            l_type = (short)LibC.F_WRLCK,
            l_whence = (short)LibC.SEEK_SET,
            l_start = 0,
            l_len = 0, // the whole file
            l_pid = 0, // required for OFD locks
        };
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                if (Libc.fcntl(fd, LibC.F_OFD_SETLK, ref request) == 0) return true;
                var errno = Libc.Errno;
                if (errno == LibC.EINTR) continue;
                if (errno == LibC.EAGAIN || errno == LibC.EACCES) return false;
                throw new IOException($"cannot lock {path}: fcntl(F_OFD_SETLK) failed with errno {errno}");
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }
}

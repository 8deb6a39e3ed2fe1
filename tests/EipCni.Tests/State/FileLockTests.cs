using System.Diagnostics;
using EipCni.State;

namespace EipCni.Tests.State;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FileLockTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eipcni-lock-" + Guid.NewGuid().ToString("N"));

    // Directories are the caller's (PrivateFiles.EnsureDirectory), as in the journal and the cloud slots.
    public FileLockTests() => PrivateFiles.EnsureDirectory(_dir, "locks");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public void SecondDescriptorInSameProcessIsExcluded()
    {
        var path = Path.Combine(_dir, "locks", "a.lock");
        using var first = FileLock.TryAcquire(path);
        Assert.NotNull(first);
        Assert.Null(FileLock.TryAcquire(path));
        first!.Dispose();
        using var again = FileLock.TryAcquire(path);
        Assert.NotNull(again);
    }

    [Fact]
    public void CreatesAPrivateFile()
    {
        var path = Path.Combine(_dir, "locks", "b.lock");
        using var held = FileLock.TryAcquire(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task WaiterGetsTheLockWhenTheHolderReleasesIt()
    {
        var path = Path.Combine(_dir, "c.lock");
        var holder = FileLock.TryAcquire(path)!;
        var waiting = Task.Run(() => FileLock.AcquireAsync(path, CancellationToken.None));
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        holder.Dispose();
        using var got = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(path, got.Path);
    }

    [Fact]
    public async Task WaitEndsAtTheDeadline()
    {
        var path = Path.Combine(_dir, "d.lock");
        using var holder = FileLock.TryAcquire(path)!;
        var sw = Stopwatch.StartNew();
        Assert.Null(await FileLock.AcquireAsync(path, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.InRange(sw.ElapsedMilliseconds, 150, 2000);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FileLock.AcquireAsync(path, cts.Token));
    }

    [Fact]
    public async Task ExcludesAnotherProcessAndIsFreedWhenThatProcessDies()
    {
        // perl is part of every Debian base system; its fcntl(F_SETLK) takes a classic POSIX lock,
        // which OFD locks conflict with.
        var path = Path.Combine(_dir, "e.lock");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, "");
        const string script = "use Fcntl; open(my $fh, '+<', $ARGV[0]) or die; " +
            "my $l = pack('s s x4 q q i x4', F_WRLCK, SEEK_SET, 0, 0, 0); " +
            "fcntl($fh, F_SETLK, $l) or die \"lock: $!\"; $| = 1; print \"locked\\n\"; sleep 60;";
        var psi = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-e");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(path);
        using var child = Process.Start(psi)!;
        try
        {
            Assert.Equal("locked", await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Null(FileLock.TryAcquire(path));
            var waiting = FileLock.AcquireAsync(path, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            await Task.Delay(100);
            Assert.False(waiting.IsCompleted);
            child.Kill();
            using var got = await waiting;
            Assert.NotNull(got);
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
    }
}

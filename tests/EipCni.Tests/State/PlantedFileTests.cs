using EipCni.Cni;
using EipCni.State;
using EipCni.Tests.Support;

namespace EipCni.Tests.State;

/// <summary>
/// The plugin runs as root for every pod: whatever another user planted in or around its state dir (a looser
/// directory, a link where a file will be written, a file at a predictable temp name) must be refused, never followed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PlantedFileTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly TempDir _dir = new("eipcni-planted");

    public void Dispose() => _dir.Dispose();

    private string StateDir => _dir.File("state");

    private static AttachmentRecord Record(string cid = "abc123") => new()
    {
        Network = "terway", ContainerId = cid, IfName = "eth0", ClusterId = "c1", Origin = EipOrigin.Automatic,
        Phase = AttachmentPhase.Allocating, ClientToken = "tok", PodNamespace = "default", PodName = "web-0",
    };

    [Fact]
    public void The_state_dir_and_its_subdirectories_are_created_0700()
    {
        var dir = PrivateFiles.EnsureDirectory(StateDir, "networks", "terway");
        Assert.Equal(Path.Combine(StateDir, "networks", "terway"), dir);
        foreach (var d in new[] { StateDir, Path.Combine(StateDir, "networks"), dir })
            Assert.Equal(Private, File.GetUnixFileMode(d));
    }

    public static TheoryData<string, string> LooseDirectories => new()
    {
        // which directory is planted, how, and the words of the refusal
        { "state", "0777" },
        { "state", "nobody" },
        { "state", "symlink" },
        { "state/networks", "0775" },
        { "state", "0757" },
        { "state/networks/terway", "symlink" },
    };

    private string Plant(string relative, string how)
    {
        var path = _dir.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (var d = Path.GetDirectoryName(path)!; d != _dir.Path; d = Path.GetDirectoryName(d)!) File.SetUnixFileMode(d, Private);
        switch (how)
        {
            case "symlink":
                var elsewhere = _dir.File("elsewhere-" + Path.GetFileName(path));
                Directory.CreateDirectory(elsewhere, Private);
                Directory.CreateSymbolicLink(path, elsewhere);
                break;
            case "nobody":
                Directory.CreateDirectory(path, Private);
                Nobody.Owns(path);
                break;
            default:
                Directory.CreateDirectory(path);
                File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(how, 8));
                break;
        }
        return path;
    }

    [Theory]
    [MemberData(nameof(LooseDirectories))]
    public void A_journal_in_a_directory_someone_else_could_write_is_refused(string relative, string how)
    {
        var path = Plant(relative, how);
        var journal = new Journal(StateDir, "terway");

        var e = Assert.Throws<CniException>(() => journal.Write(Record()));

        Assert.Equal(CniCode.IoFailure, e.Code);
        Assert.Contains($"refusing the state directory {path}:", e.Message);
        Assert.Contains(how switch { "symlink" => "symbolic link", "nobody" => "owned by uid 65534", var mode => "mode " + mode }, e.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.json", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_state_dir_of_ours_that_nobody_else_can_write_is_tightened_to_0700()
    {
        // STATUS of earlier versions created the state dir with the default mode (0755 under umask 022): nobody else
        // could write to it, so it holds nothing planted, and an upgrade must not make the node NotReady for it.
        Directory.CreateDirectory(StateDir);
        File.SetUnixFileMode(StateDir, (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(Path.Combine(StateDir, "networks"));
        File.SetUnixFileMode(Path.Combine(StateDir, "networks"), (UnixFileMode)Convert.ToInt32("750", 8));

        new Journal(StateDir, "terway").Write(Record());

        Assert.Equal(Private, File.GetUnixFileMode(StateDir));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(StateDir, "networks")));
    }

    [Fact]
    public void A_link_planted_at_the_old_pid_derived_temp_name_is_not_followed()
    {
        var journal = new Journal(StateDir, "terway");
        journal.Write(Record("seed"));
        var victim = _dir.File("victim");
        File.WriteAllText(victim, "precious");
        File.CreateSymbolicLink(Path.Combine(journal.Directory, $".abc123@eth0.{Environment.ProcessId}.tmp"), victim);

        journal.Write(Record());

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal("abc123", journal.Read(new AttachmentKey("terway", "abc123", "eth0"))!.ContainerId);
    }

    [Fact]
    public void A_record_planted_as_a_link_is_read_as_no_record_and_its_target_is_untouched()
    {
        var journal = new Journal(StateDir, "terway");
        journal.Write(Record("seed"));
        var victim = _dir.File("victim.json");
        File.WriteAllText(victim, System.Text.Json.JsonSerializer.Serialize(Record()));
        var link = Path.Combine(journal.Directory, "abc123@eth0.json");
        File.CreateSymbolicLink(link, victim);

        Assert.Null(journal.Read(new AttachmentKey("terway", "abc123", "eth0")));

        var moved = Assert.Single(journal.Quarantined);
        Assert.Contains("symbolic link", moved.Problem);
        Assert.False(File.Exists(link));
        Assert.True(File.Exists(victim));
    }

    [Fact]
    public void A_lock_file_planted_as_a_link_is_refused_and_creates_nothing()
    {
        PrivateFiles.EnsureDirectory(StateDir, "locks");
        var target = _dir.File("created-by-root");
        File.CreateSymbolicLink(Path.Combine(StateDir, "locks", "a.lock"), target);

        var e = Assert.Throws<IOException>(() => FileLock.TryAcquire(Path.Combine(StateDir, "locks", "a.lock")));

        Assert.Contains("symbolic link", e.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Atomic_writes_replace_a_planted_link_and_leave_no_temp_file()
    {
        var dir = PrivateFiles.EnsureDirectory(StateDir);
        var victim = _dir.File("victim");
        File.WriteAllText(victim, "precious");
        var path = Path.Combine(dir, "cache.json");
        File.CreateSymbolicLink(path, victim);

        PrivateFiles.WriteAtomically(path, "{}"u8, durable: true);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("{}", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(["cache.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Temp_names_are_random()
    {
        var names = Enumerable.Range(0, 100).Select(_ => PrivateFiles.RandomSuffix()).ToHashSet();
        Assert.Equal(100, names.Count);
        Assert.All(names, n => Assert.Matches("^[0-9a-f]{16}$", n));
    }

    [Fact]
    public void Reads_refuse_links_fifos_and_oversized_files()
    {
        var dir = PrivateFiles.EnsureDirectory(StateDir);
        var fifo = Path.Combine(dir, "fifo");
        Assert.Equal(0, ProcessRunner.Run("mkfifo", [fifo]).ExitCode);
        File.WriteAllText(Path.Combine(dir, "big"), new string('x', 2000));
        File.CreateSymbolicLink(Path.Combine(dir, "link"), Path.Combine(dir, "big"));

        Assert.Contains("a FIFO", Assert.Throws<UnexpectedFileException>(() => PrivateFiles.Read(fifo, 1000)).Message);
        Assert.Contains("limit of 1000 bytes", Assert.Throws<UnexpectedFileException>(() => PrivateFiles.Read(Path.Combine(dir, "big"), 1000)).Message);
        Assert.Contains("symbolic link", Assert.Throws<UnexpectedFileException>(() => PrivateFiles.Read(Path.Combine(dir, "link"), 5000)).Message);
        Assert.Null(PrivateFiles.Read(Path.Combine(dir, "absent"), 1000));
    }
}

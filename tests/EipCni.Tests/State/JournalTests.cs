using EipCni.State;
using EipCni.Tests.Support;

namespace EipCni.Tests.State;

public class JournalTests
{
    private static AttachmentRecord Record(string cid = "abc123", string ifName = "eth0", AttachmentPhase phase = AttachmentPhase.Allocating) => new()
    {
        Network = "terway",
        ContainerId = cid,
        IfName = ifName,
        ClusterId = "c1",
        Origin = EipOrigin.Automatic,
        Phase = phase,
        ClientToken = "tok",
        PodNamespace = "default",
        PodName = "web-0",
    };

    [Fact]
    public void A_written_record_reads_back_with_private_modes_and_no_temp_files()
    {
        using var dir = new TempDir();
        var journal = new Journal(dir.File("state"), "terway");
        var written = journal.Write(Record() with { AllocationId = "eip-1", Phase = AttachmentPhase.Allocated });

        var read = journal.Read(written.Key)!;
        Assert.Equal("eip-1", read.AllocationId);
        Assert.Equal(AttachmentPhase.Allocated, read.Phase);
        Assert.NotEqual(default, read.CreatedAt);
        var file = Assert.Single(Directory.GetFiles(journal.Directory, "*.json"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.File("state")));
        Assert.Empty(Directory.GetFiles(journal.Directory, "*.tmp"));
        Assert.Contains("\"phase\": \"Allocated\"", File.ReadAllText(file));
    }

    [Fact]
    public void Records_are_keyed_by_container_and_interface_and_listed_and_deleted()
    {
        using var dir = new TempDir();
        var journal = new Journal(dir.File("state"), "terway");
        journal.Write(Record("a1", "eth0"));
        journal.Write(Record("a1", "eth1"));
        journal.Write(Record("b2", "eth0"));
        Assert.Equal(3, journal.List().Count);
        Assert.True(journal.Exists(new AttachmentKey("terway", "a1", "eth1")));

        journal.Delete(new AttachmentKey("terway", "a1", "eth0"));
        Assert.Null(journal.Read(new AttachmentKey("terway", "a1", "eth0")));
        Assert.Equal(2, journal.List().Count);
        Assert.Equal(["terway"], Journal.Networks(dir.File("state")));
        Assert.Empty(new Journal(dir.File("state"), "other").List());
    }

    [Fact]
    public void A_corrupt_record_listed_is_reported_and_moved_aside()
    {
        using var dir = new TempDir();
        var journal = new Journal(dir.File("state"), "terway");
        journal.Write(Record("good"));
        File.WriteAllText(Path.Combine(journal.Directory, "bad@eth0.json"), "{ truncated");
        var bad = new List<string>();
        var list = journal.List((path, _) => bad.Add(path));
        Assert.Single(list);
        Assert.Single(bad);
        Assert.Single(Directory.GetFiles(journal.Directory, "bad@eth0.json.corrupt-*"));
        Assert.Single(journal.List()); // reported once, not on every listing
    }

    public static TheoryData<string, string> Unreadable => new()
    {
        { "{ truncated", "is corrupt" },
        { "", "is corrupt" },
        { "null", "is empty" },
        { """{"network":"terway","containerId":"abc123"}""", "is corrupt" },
        { """{"network":"terway","containerId":"other","ifName":"eth0","clusterId":"c1","origin":"Automatic","phase":"Bound"}""", "names another attachment" },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public void A_record_that_fails_to_parse_is_quarantined_and_reads_as_none(string content, string problem)
    {
        using var dir = new TempDir();
        var log = new EipCni.Tests.Cloud.RecordingLog();
        var journal = new Journal(dir.File("state"), "terway", log);
        journal.Write(Record("seed"));
        var path = Path.Combine(journal.Directory, "abc123@eth0.json");
        File.WriteAllText(path, content);
        var key = new AttachmentKey("terway", "abc123", "eth0");

        Assert.Null(journal.Read(key));

        var moved = Assert.Single(journal.Quarantined);
        Assert.Equal(path, moved.Path);
        Assert.Contains(problem, moved.Problem);
        Assert.StartsWith(path + ".corrupt-", moved.MovedTo);
        Assert.Equal(content, File.ReadAllText(moved.MovedTo));
        Assert.Equal([moved.MovedTo], journal.QuarantinedCopies(key));
        Assert.False(journal.Exists(key));
        Assert.Contains(log.Lines, l => l.StartsWith("journal record could not be read; moved aside", StringComparison.Ordinal) && l.Contains(moved.MovedTo));
        // The attachment is usable again: a new record is written and read back.
        journal.Write(Record());
        Assert.Equal("abc123", journal.Read(key)!.ContainerId);
    }

    [Fact]
    public async Task The_attachment_lock_excludes_a_second_holder_until_released()
    {
        using var dir = new TempDir();
        var journal = new Journal(dir.File("state"), "terway");
        var key = new AttachmentKey("terway", "abc", "eth0");
        var first = await journal.LockAttachmentAsync(key, CancellationToken.None);
        using var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => journal.LockAttachmentAsync(key, shortWait.Token));
        // A different attachment is not blocked.
        using (await journal.LockAttachmentAsync(key with { IfName = "eth1" }, CancellationToken.None)) { }
        first.Dispose();
        using var second = await journal.LockAttachmentAsync(key, CancellationToken.None);
    }

    [Fact]
    public async Task Concurrent_writers_never_leave_a_torn_record()
    {
        using var dir = new TempDir();
        var journal = new Journal(dir.File("state"), "terway");
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            for (var n = 0; n < 25; n++) journal.Write(Record() with { Generation = i * 100 + n, LastError = new string('x', 1000 * (i + 1)) });
        }));
        await Task.WhenAll(tasks);
        var read = journal.Read(new AttachmentKey("terway", "abc123", "eth0"))!;
        Assert.Equal(1000 * (read.Generation / 100 + 1), read.LastError!.Length);
    }
}

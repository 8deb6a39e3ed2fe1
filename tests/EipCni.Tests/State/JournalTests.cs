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
    public void A_corrupt_record_is_reported_not_silently_dropped()
    {
        using var dir = new TempDir();
        var journal = new Journal(dir.File("state"), "terway");
        journal.Write(Record("good"));
        File.WriteAllText(Path.Combine(journal.Directory, "bad@eth0.json"), "{ truncated");
        var bad = new List<string>();
        var list = journal.List((path, _) => bad.Add(path));
        Assert.Single(list);
        Assert.Single(bad);
        Assert.Throws<InvalidDataException>(() => journal.Read(new AttachmentKey("terway", "bad", "eth0")));
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

using EipCni.State;

namespace EipCni.Tests.State;

public class AttachmentKeyTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(238)]
    [InlineData(1024)]
    public void Any_container_id_gives_a_file_name_the_journal_can_use(int length)
    {
        var id = new string('a', length);
        var key = new AttachmentKey("net", id, "eth0");

        Assert.True(key.FileStem.Length + ".json".Length + 40 < 255, $"{key.FileStem.Length} characters");
        Assert.EndsWith("@eth0", key.FileStem);
        using var dir = new Support.TempDir("eipcni-key");
        var journal = new Journal(dir.File("state"), "net");
        journal.Write(new AttachmentRecord { Network = "net", ContainerId = id, IfName = "eth0", ClusterId = "c", Origin = EipOrigin.Automatic, Phase = AttachmentPhase.Allocating });
        Assert.Equal(id, journal.Read(key)!.ContainerId);
    }

    [Fact]
    public void Long_ids_that_share_a_prefix_get_different_names()
    {
        var a = new AttachmentKey("net", new string('a', 300) + "1", "eth0");
        var b = new AttachmentKey("net", new string('a', 300) + "2", "eth0");

        Assert.NotEqual(a.FileStem, b.FileStem);
        Assert.Equal("x@eth0", new AttachmentKey("net", "x", "eth0").FileStem); // short IDs keep the readable name
    }
}

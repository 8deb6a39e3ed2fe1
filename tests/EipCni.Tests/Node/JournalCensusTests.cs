using EipCni.Node;
using EipCni.State;
using EipCni.Tests.Fakes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>The node's journal as gauges: records by phase, pending ones by kind with the age of the oldest.</summary>
public sealed class JournalCensusTests
{
    [Fact]
    public void Records_are_counted_by_phase_and_pending_ones_by_kind_and_age()
    {
        using var dir = new TempDir("eipcni-census");
        var now = DateTimeOffset.UtcNow;
        var time = new ManualTimeProvider(now);
        var journal = new Journal(dir.Path, "net1");
        AttachmentRecord Rec(string id, AttachmentPhase phase) => new()
        {
            Network = "net1", ContainerId = id, IfName = "eth0", ClusterId = "c1", Origin = EipOrigin.Automatic, Phase = phase, AllocationId = "eip-" + id,
        };
        journal.Write(Rec("bound", AttachmentPhase.Bound));
        journal.Write(Rec("release", AttachmentPhase.Releasing) with { Unbound = true, ReleasingSince = now - TimeSpan.FromMinutes(30) });
        journal.Write(Rec("unbind", AttachmentPhase.Releasing) with { ReleasingSince = now - TimeSpan.FromSeconds(90) });
        journal.Write(Rec("doubt", AttachmentPhase.Releasing) with { AllocationId = null, ClientToken = "eipcni-1", ReleasingSince = now - TimeSpan.FromHours(2) });
        journal.Write(Rec("kept", AttachmentPhase.Retained) with { ReleaseAfter = now + TimeSpan.FromHours(1) });
        journal.Write(Rec("expired", AttachmentPhase.Retained) with { ReleaseAfter = now - TimeSpan.FromMinutes(5) });
        new Journal(dir.Path, "net2").Write(Rec("other", AttachmentPhase.Bound) with { Network = "net2" });
        var metrics = new NodeMetrics();
        new JournalCensus(dir.Path, metrics, time).Register();

        var text = metrics.Registry.Expose();

        Assert.Contains("eipcni_journal_records{phase=\"Bound\"} 2\n", text);
        Assert.Contains("eipcni_journal_records{phase=\"Releasing\"} 3\n", text);
        Assert.Contains("eipcni_journal_records{phase=\"Retained\"} 2\n", text);
        Assert.Contains("eipcni_journal_records{phase=\"Allocating\"} 0\n", text);
        foreach (var kind in new[] { "in_doubt", "release", "unbind", "kept_expired" })
            Assert.Equal(1, metrics.PendingRecords.Value(kind));
        Assert.Equal(7200, metrics.PendingOldestSeconds.Value("in_doubt")!.Value, 0);
        Assert.Equal(1800, metrics.PendingOldestSeconds.Value("release")!.Value, 0);
        Assert.Equal(90, metrics.PendingOldestSeconds.Value("unbind")!.Value, 0);
        Assert.Equal(300, metrics.PendingOldestSeconds.Value("kept_expired")!.Value, 0);
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>run's chain upkeep: a primary plugin that rewrites its conflist (Terway restarting) is re-chained at once.</summary>
public sealed class ChainUpkeepTests
{
    private const string Terway = """
        {"cniVersion":"0.4.0","name":"terway","plugins":[{"type":"terway","eniip_virtual_type":"IPVlan"},{"type":"portmap","capabilities":{"portMappings":true}}]}
        """;

    private static string[] Types(string conflist) =>
        NodeDirs.Json(conflist)["plugins"]!.AsArray().Select(p => p!["type"]!.GetValue<string>()).ToArray();

    private static async Task<TimeSpan> UntilChainedAsync(string conflist, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            try
            {
                if (Types(conflist) is [.., "eip-cni"]) return clock.Elapsed;
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
            {
                // caught between the writer's create and its write
            }
            await Task.Delay(10);
        }
        throw new TimeoutException($"not re-chained within {limit.TotalSeconds} s: {File.ReadAllText(conflist)}");
    }

    [Fact]
    public async Task A_rewritten_conflist_is_rechained_within_a_second_and_its_own_writes_cause_no_loop()
    {
        using var node = new NodeDirs();
        var conflist = node.WriteConf("10-terway.conflist", Terway);
        var log = new Cloud.RecordingLog();
        var upkeep = new ChainUpkeep(new ChainInstaller(), node.Options(), log) { SafetyInterval = TimeSpan.FromMinutes(10) };
        var passes = 0;
        upkeep.Applied += _ => Interlocked.Increment(ref passes);
        using var stop = new CancellationTokenSource();
        var run = upkeep.RunAsync(stop.Token);

        await UntilChainedAsync(conflist, TimeSpan.FromSeconds(10)); // the first pass at start
        var latencies = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            // Terway restarts and writes its conflist again (in place, as a plain rewrite), dropping eip-cni.
            File.WriteAllText(conflist, Terway);
            latencies.Add(await UntilChainedAsync(conflist, TimeSpan.FromSeconds(5)));
        }
        Assert.All(latencies, l => Assert.True(l < TimeSpan.FromSeconds(1), $"re-chained after {l.TotalMilliseconds:0} ms"));

        // Quiet now: its own renames are answered by one no-op pass each at most, never an endless loop of writes.
        await Task.Delay(700);
        var before = Volatile.Read(ref passes);
        var snapshot = NodeDirs.Snapshot(node.ConfDir);
        await Task.Delay(1500);
        Assert.Equal(before, Volatile.Read(ref passes));
        Assert.Equal(snapshot, NodeDirs.Snapshot(node.ConfDir));
        Assert.Equal(6, upkeep.Reapplied);

        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_conf_dir_without_a_config_waits_and_chains_the_first_one_written()
    {
        using var node = new NodeDirs();
        var upkeep = new ChainUpkeep(new ChainInstaller(), node.Options(), new Cloud.RecordingLog());
        using var stop = new CancellationTokenSource();
        var run = upkeep.RunAsync(stop.Token);
        await Task.Delay(300);
        Assert.Empty(Directory.EnumerateFiles(node.ConfDir));

        // The primary plugin writes its config elsewhere and renames it in (as libcni-aware writers do).
        var temp = Path.Combine(node.ConfDir, ".tmp-terway");
        File.WriteAllText(temp, Terway);
        File.Move(temp, node.Conf("10-terway.conflist"));
        await UntilChainedAsync(node.Conf("10-terway.conflist"), TimeSpan.FromSeconds(2));
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }
}

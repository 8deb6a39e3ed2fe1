using System.Diagnostics;
using EipCni.Tests.Support;
using Xunit.Abstractions;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// Twenty pods on one node ADDed at once through libcni (one conflist, one journal, one node-wide cloud-call cap,
/// each pod in its own network namespace with its own host-local IP): twenty distinct EIPs, each bound to its own
/// pod's IP; DEL of all twenty at once gives every one back.
/// </summary>
public class EipConcurrencyTests : IClassFixture<EipWorld>, IDisposable
{
    private const int Pods = 20;
    private readonly EipWorld _world;
    private readonly ITestOutputHelper _output;
    private readonly TempDir _userState = new("eipcni-user");

    public EipConcurrencyTests(EipWorld world, ITestOutputHelper output)
    {
        _world = world;
        _output = output;
        _world.Reset();
    }

    public void Dispose() => _userState.Dispose();

    [Fact]
    public async Task Twenty_pods_added_at_once_get_twenty_distinct_eips_on_their_own_ips_and_del_gives_all_back()
    {
        // The account's quota is 20 pay-as-you-go EIPs and the seed world already holds one (the user's): the owner
        // releases it through the API first, so the twenty pods fit exactly.
        using (var user = _world.UserCloud(_userState.Path))
        using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await user.Eip.ReleaseEipAddressAsync(_world.SeedEipId, budget.Token);
        WaitUntil(() => _world.Eips().Count == 0, TimeSpan.FromSeconds(30), "the seed EIP to be gone");

        using var chain = _world.Chain();
        var netns = new List<Netns>();
        try
        {
            for (var i = 1; i < Pods; i++) netns.Add(new Netns());
            var paths = new[] { chain.NetnsPath }.Concat(netns.Select(n => n.Path)).ToArray();
            for (var i = 0; i < Pods; i++) _world.CreatePod($"web-{i}", AutoEip);
            var caps = Caps(AutoEip);

            var clock = Stopwatch.StartNew();
            var adds = await Task.WhenAll(Enumerable.Range(0, Pods).Select(i =>
                chain.CnitoolInBackground("add", $"conc-{i}", caps, podName: $"web-{i}", netnsPath: paths[i])));
            var addTime = clock.Elapsed;

            for (var i = 0; i < Pods; i++)
                Assert.True(adds[i].ExitCode == 0, $"ADD of web-{i}: {adds[i].Stderr}\n{chain.Log()}");
            var podIps = adds.Select(a => IpOfResult(a.Stdout)).ToArray();
            Assert.Equal(Pods, podIps.Distinct().Count());

            var eips = _world.ApiEips();
            Assert.Equal(Pods, eips.Length);
            Assert.Equal(Pods, eips.Select(e => e.Str("ipAddress")).Distinct().Count());
            for (var i = 0; i < Pods; i++)
            {
                var mine = Assert.Single(eips, e => e["tags"]!["eip-cni.alibabacloud.com/container-id"]!.GetValue<string>() == $"conc-{i}");
                Assert.Equal("InUse", mine.Str("status"));
                Assert.Equal(_world.PrimaryEniId, mine.Str("instanceId"));
                Assert.Equal(podIps[i], mine.Str("privateIpAddress"));
                Assert.Equal(mine.Str("ipAddress"), _world.Pod($"web-{i}")["metadata"]!["annotations"].Str(AllocatedNew));
            }
            Assert.Equal(Pods, chain.JournalRecords().Count(r => r.Str("phase") == "Bound"));

            clock.Restart();
            var dels = await Task.WhenAll(Enumerable.Range(0, Pods).Select(i =>
                chain.CnitoolInBackground("del", $"conc-{i}", caps, podName: $"web-{i}", netnsPath: paths[i])));
            var delTime = clock.Elapsed;

            for (var i = 0; i < Pods; i++)
                Assert.True(dels[i].ExitCode == 0, $"DEL of web-{i}: {dels[i].Stderr}\n{chain.Log()}");
            Assert.All(_world.ApiEips(), e => Assert.Equal("Releasing", e.Str("status")));
            Assert.Empty(chain.JournalRecords());
            var throttled = _world.CloudRequests().Count(r => r.Str("code").StartsWith("Throttling", StringComparison.Ordinal));
            _output.WriteLine($"{Pods} concurrent ADDs: {addTime.TotalSeconds:0.00} s wall; {Pods} concurrent DELs: {delTime.TotalSeconds:0.00} s wall; " +
                $"{_world.CloudRequests().Count} cloud requests, {throttled} throttled");
        }
        finally
        {
            foreach (var n in netns) n.Dispose();
        }
    }

    [Fact]
    public async Task Two_adds_racing_for_the_same_sandbox_converge_on_one_eip()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);

        var racers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(
            () => chain.Plugin("ADD", "race-1", "10.250.0.30", annotations: AutoEip), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        Assert.All(racers, r => Assert.True(r.ExitCode == 0, r.Stdout + chain.Log()));
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("InUse", eip.Str("status"));
        Assert.Equal("10.250.0.30", eip.Str("privateIpAddress"));
        Assert.Single(_world.CloudRequests(), r => r.Str("action") == "AllocateEipAddress");
    }

    [Fact]
    public async Task A_del_that_meets_a_running_add_of_the_same_sandbox_asks_to_be_retried_and_the_retry_releases()
    {
        using var chain = _world.Chain(edit: p => p["delTimeoutSeconds"] = 3);
        _world.CreatePod("web-0", AutoEip);
        _world.CloudFault(Fault("AssociateEipAddress", count: 1, stallMs: 8000));
        var add = Task.Factory.StartNew(() => chain.Plugin("ADD", "race-del-1", "10.250.0.31", annotations: AutoEip),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => chain.JournalRecord("race-del-1").Str("phase") == "Binding", TimeSpan.FromSeconds(30), "the ADD to be binding");

        // The runtime gave up on the sandbox and tears it down while the ADD still holds the attachment.
        var del = chain.Plugin("DEL", "race-del-1", "10.250.0.31", annotations: AutoEip);

        // Not success (the ADD would then bind an EIP nobody gives back), not an internal error: "try again later".
        NativePlugin.AssertError(del, 11);
        Assert.DoesNotContain("not found", del.Stdout, StringComparison.OrdinalIgnoreCase);
        var added = await add;
        Assert.True(added.ExitCode == 0, added.Stdout + chain.Log());

        var retry = chain.Plugin("DEL", "race-del-1", "10.250.0.31", annotations: AutoEip);
        Assert.True(retry.ExitCode == 0, retry.Stdout + chain.Log());
        _world.AssertNothingLeftBehind();
        Assert.Empty(chain.JournalRecords());
    }

    [Fact]
    public async Task An_add_whose_budget_ends_waiting_for_another_add_of_the_same_sandbox_asks_to_be_retried()
    {
        using var chain = _world.Chain();
        _world.CreatePod("web-0", AutoEip);
        _world.CloudFault(Fault("AssociateEipAddress", count: 1, stallMs: 12000));
        var first = Task.Factory.StartNew(() => chain.Plugin("ADD", "race-add-1", "10.250.0.32", annotations: AutoEip),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => chain.JournalRecord("race-add-1").Str("phase") == "Binding", TimeSpan.FromSeconds(30), "the first ADD to be binding");

        chain.EipPlugin["addTimeoutSeconds"] = 5; // the runtime's retry, with a short budget
        var second = chain.Plugin("ADD", "race-add-1", "10.250.0.32", annotations: AutoEip);

        NativePlugin.AssertError(second, 11);
        var done = await first;
        Assert.True(done.ExitCode == 0, done.Stdout + chain.Log());
        // The second call undid nothing of the first: one EIP, bound, recorded.
        var eip = Assert.Single(_world.ApiEips());
        Assert.Equal("InUse", eip.Str("status"));
        Assert.Equal("Bound", chain.JournalRecord("race-add-1").Str("phase"));
    }
}

using System.Diagnostics;
using EipCni.Kube;
using EipCni.Node;
using EipCni.Tests.Fakes;
using EipCni.Tests.Kube;
using Xunit.Abstractions;

namespace EipCni.Tests.Node;

/// <summary>Several electors, each with its own client (as separate agents would be), competing for one Lease in KubeSim.</summary>
[Collection("kubesim-fast")]
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private readonly KubeSimFastFixture _sim;
    private readonly ITestOutputHelper _output;
    private readonly List<Elector> _electors = [];

    public LeaderElectionTests(KubeSimFastFixture sim, ITestOutputHelper output)
    {
        _sim = sim;
        _output = output;
    }

    public Task InitializeAsync() => _sim.ResetAsync();

    public async Task DisposeAsync()
    {
        foreach (var e in _electors) await e.CrashAsync();
        foreach (var e in _electors) e.Dispose();
    }

    /// <summary>Quick timings, about client-go's proportions: a 3 s lease, renewed every 0.3 s, given up after 2 s without renewal.</summary>
    private static LeaderElectionOptions Quick(string identity) => new()
    {
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(3),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromSeconds(0.3),
    };

    /// <summary>What a shared, loaded test machine adds to a measured time (HTTP round trips, scheduling).</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    /// <summary>One agent: its client, its elector, and what its leader work saw.</summary>
    private sealed class Elector : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly KubeClient _client;
        private Task? _run;

        public Elector(KubeSimFixture sim, LeaderElectionOptions options)
        {
            _client = new KubeClient(EipCni.Kube.Kubeconfig.Load(sim.Kubeconfig), Log, new KubeClientOptions
            {
                InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100), RequestTimeout = TimeSpan.FromSeconds(2),
            });
            Options = options;
            Election = new LeaderElection(_client, options, Log);
        }

        public LeaderElectionOptions Options { get; }
        public LeaderElection Election { get; }
        public RecordingLog Log { get; } = new();
        public int Terms;
        public long WorkStartedAt;
        public long WorkStoppedAt;

        public void Start() => _run = Election.RunAsync(async ct =>
        {
            Interlocked.Exchange(ref WorkStartedAt, Stopwatch.GetTimestamp());
            Interlocked.Increment(ref Terms);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                Interlocked.Exchange(ref WorkStoppedAt, Stopwatch.GetTimestamp());
            }
        }, _stop.Token);

        /// <summary>Stops the elector: a crash when its options do not release, a graceful shutdown when they do.</summary>
        public async Task CrashAsync()
        {
            await _stop.CancelAsync();
            if (_run is not null) await _run;
        }

        public void Dispose()
        {
            _client.Dispose();
            _stop.Dispose();
        }
    }

    private Elector Add(LeaderElectionOptions options, bool start = true)
    {
        var elector = new Elector(_sim, options);
        _electors.Add(elector);
        if (start) elector.Start();
        return elector;
    }

    /// <summary>Samples every elector's IsLeader every few milliseconds; records the most leaders seen at once.</summary>
    private sealed class Sampler : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        public int MostLeaders;
        public int Samples;

        public Sampler(IReadOnlyList<Elector> electors) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var leaders = electors.Count(e => e.Election.IsLeader);
                if (leaders > MostLeaders) MostLeaders = leaders;
                Samples++;
                await Task.Delay(2);
            }
        });

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }
    }

    private static async Task<Elector> LeaderAmongAsync(IEnumerable<Elector> electors, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (electors.FirstOrDefault(e => e.Election.IsLeader) is { } leader) return leader;
            if (clock.Elapsed > within) throw new TimeoutException($"no leader within {within.TotalSeconds} s");
            await Task.Delay(2);
        }
    }

    private async Task<LeaseRecord?> LeaseAsync()
    {
        using var client = new KubeClient(EipCni.Kube.Kubeconfig.Load(_sim.Kubeconfig), NullLog.Instance);
        return await client.GetLeaseAsync("kube-system", "eip-cni-sweeper", CancellationToken.None);
    }

    [Fact]
    public async Task Of_two_electors_exactly_one_leads_and_keeps_leading()
    {
        var a = Add(Quick("node-a_agent-1"));
        var b = Add(Quick("node-b_agent-2"));
        await using (var sampler = new Sampler(_electors))
        {
            var leader = await LeaderAmongAsync(_electors, TimeSpan.FromSeconds(5));
            await Task.Delay(TimeSpan.FromSeconds(6)); // two lease durations: renewals must hold it
            var follower = leader == a ? b : a;

            Assert.True(leader.Election.IsLeader);
            Assert.Equal(1, leader.Terms);
            Assert.Equal(0, follower.Terms);
            Assert.Equal(leader.Options.Identity, follower.Election.ObservedLeader);
            await sampler.DisposeAsync();
            Assert.Equal(1, sampler.MostLeaders);
            Assert.True(sampler.Samples > 500, $"{sampler.Samples} samples");
        }
        var lease = await LeaseAsync();
        Assert.Equal(_electors.Single(e => e.Terms == 1).Options.Identity, lease!.HolderIdentity);
        Assert.Equal(3, lease.LeaseDurationSeconds);
        Assert.Equal(0, lease.LeaseTransitions);
        Assert.InRange(DateTimeOffset.UtcNow - lease.RenewTime!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task When_the_leader_crashes_another_of_three_takes_over_within_leaseDuration_plus_retryPeriod()
    {
        foreach (var node in new[] { "node-a", "node-b", "node-c" }) Add(Quick(node) with { ReleaseOnCancel = false });
        await using var sampler = new Sampler(_electors);
        var first = await LeaderAmongAsync(_electors, TimeSpan.FromSeconds(5));
        await Task.Delay(TimeSpan.FromSeconds(1));

        var killed = Stopwatch.GetTimestamp();
        await first.CrashAsync(); // no release: the others must wait for the Lease to expire
        var second = await LeaderAmongAsync(_electors.Where(e => e != first), TimeSpan.FromSeconds(6));
        var takeover = Stopwatch.GetElapsedTime(killed);

        _output.WriteLine($"crash take-over: {takeover.TotalMilliseconds:0} ms (lease 3 s, retry 0.3 s)");
        await sampler.DisposeAsync();
        Assert.Equal(1, sampler.MostLeaders);
        Assert.NotEqual(first, second);
        Assert.Equal(1, second.Terms);
        var lease = await LeaseAsync();
        Assert.Equal(second.Options.Identity, lease!.HolderIdentity);
        Assert.Equal(1, lease.LeaseTransitions);
        Assert.True(takeover < TimeSpan.FromSeconds(3 + 0.3) + Slack, $"take-over took {takeover}");
    }

    [Fact]
    public async Task A_graceful_shutdown_stops_the_work_then_releases_and_another_takes_over_within_a_retryPeriod()
    {
        await using var sampler = new Sampler(_electors);
        var a = Add(Quick("node-a") with { ReleaseOnCancel = true });
        await LeaderAmongAsync([a], TimeSpan.FromSeconds(5));
        var b = Add(Quick("node-b"));
        await Task.Delay(TimeSpan.FromSeconds(1));

        var stopping = Stopwatch.GetTimestamp();
        await a.CrashAsync();
        var released = Stopwatch.GetElapsedTime(stopping);
        await LeaderAmongAsync([b], TimeSpan.FromSeconds(3));
        var takeover = Stopwatch.GetElapsedTime(stopping);

        _output.WriteLine($"graceful hand-over: released after {released.TotalMilliseconds:0} ms, taken over after {takeover.TotalMilliseconds:0} ms (retry 0.3 s)");
        await sampler.DisposeAsync();
        Assert.Equal(1, sampler.MostLeaders);
        Assert.InRange(a.WorkStoppedAt, stopping, b.WorkStartedAt); // the old leader's work ended before the new one's began
        Assert.True(a.Log.Contains("released the Lease", LogLevel.Info), a.Log.ToString());
        Assert.True(takeover < TimeSpan.FromSeconds(0.3) + Slack, $"take-over took {takeover}");
        var lease = await LeaseAsync();
        Assert.Equal("node-b", lease!.HolderIdentity);
        Assert.Equal(1, lease.LeaseTransitions);
        Assert.Equal(3, lease.LeaseDurationSeconds);
    }

    [Fact]
    public async Task Conflicting_writes_are_answers_the_leader_survives_and_no_one_else_leads()
    {
        var a = Add(Quick("node-a"));
        await LeaderAmongAsync([a], TimeSpan.FromSeconds(5));
        var b = Add(Quick("node-b"));
        await using var sampler = new Sampler(_electors);
        await Task.Delay(TimeSpan.FromSeconds(0.5));

        // Three renewals meet 409 (as when another writer raced): the leader reads again and renews within its deadline.
        await _sim.FaultAsync("""{"method":"PUT","pathContains":"/leases/eip-cni-sweeper","status":409,"count":3}""");
        await Task.Delay(TimeSpan.FromSeconds(3));

        await sampler.DisposeAsync();
        Assert.Equal(1, sampler.MostLeaders);
        Assert.True(a.Election.IsLeader);
        Assert.Equal(1, a.Terms);
        Assert.Equal(0, b.Terms);
        var conflicts = (await _sim.RequestsAsync("PUT", "/leases/eip-cni-sweeper")).Count(r => (int)r["status"]! == 409);
        Assert.Equal(3, conflicts);
        Assert.False(a.Log.Contains("cannot read or write the Lease"), a.Log.ToString());
        Assert.True(a.Log.Contains("the Lease changed under us (409)"), a.Log.ToString());
    }

    [Fact]
    public async Task A_leader_that_cannot_renew_stops_within_renewDeadline_and_its_work_is_cancelled()
    {
        var a = Add(Quick("node-a"));
        await LeaderAmongAsync([a], TimeSpan.FromSeconds(5));

        var outage = Stopwatch.GetTimestamp();
        await _sim.FaultAsync("""{"pathContains":"/leases","status":503}""");
        while (a.Election.IsLeader) await Task.Delay(2);
        var stoppedLeading = Stopwatch.GetElapsedTime(outage);
        while (Interlocked.Read(ref a.WorkStoppedAt) == 0 && Stopwatch.GetElapsedTime(outage) < TimeSpan.FromSeconds(5)) await Task.Delay(2);
        var workStopped = Stopwatch.GetElapsedTime(outage, a.WorkStoppedAt);
        await _sim.ClearFaultsAsync();
        await LeaderAmongAsync([a], TimeSpan.FromSeconds(5));

        _output.WriteLine($"outage: IsLeader false after {stoppedLeading.TotalMilliseconds:0} ms, work cancelled after {workStopped.TotalMilliseconds:0} ms (renew deadline 2 s)");
        // At most the renew deadline after the last renewal, which came at most a retry period before the outage (less when
        // the machine is slow); IsLeader turns false by the clock, so only this test's own polling adds to it (CI saw 2.2 s).
        Assert.InRange(stoppedLeading, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(2) + Slack);
        Assert.InRange(workStopped, TimeSpan.Zero, TimeSpan.FromSeconds(2) + Slack);
        Assert.Equal(2, a.Terms); // it leads again once the API server answers
        Assert.True(a.Log.Contains("stopped leading", LogLevel.Warn), a.Log.ToString());
    }

    [Fact]
    public async Task With_the_standard_timings_a_crashed_leader_is_replaced_within_17_s_and_a_released_one_within_2_s()
    {
        LeaderElectionOptions Standard(string id) => new() { Identity = id }; // 15 s, 10 s, 2 s
        var a = Add(Standard("node-a"));
        await LeaderAmongAsync([a], TimeSpan.FromSeconds(5));
        var b = Add(Standard("node-b") with { ReleaseOnCancel = false });
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var stopping = Stopwatch.GetTimestamp();
        await a.CrashAsync(); // graceful: stops its work, releases
        await LeaderAmongAsync([b], TimeSpan.FromSeconds(5));
        var handOver = Stopwatch.GetElapsedTime(stopping);

        var c = Add(Standard("node-c"));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var killed = Stopwatch.GetTimestamp();
        await b.CrashAsync(); // a crash: no release
        await LeaderAmongAsync([c], TimeSpan.FromSeconds(20));
        var takeover = Stopwatch.GetElapsedTime(killed);

        _output.WriteLine($"standard timings: graceful hand-over {handOver.TotalMilliseconds:0} ms, crash take-over {takeover.TotalMilliseconds:0} ms");
        Assert.True(handOver < TimeSpan.FromSeconds(2) + Slack, $"hand-over took {handOver}");
        Assert.True(takeover < TimeSpan.FromSeconds(15 + 2) + Slack, $"take-over took {takeover}");
    }
}

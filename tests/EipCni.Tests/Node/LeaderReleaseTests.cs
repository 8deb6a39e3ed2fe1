using EipCni.Kube;
using EipCni.Node;
using EipCni.Tests.Fakes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>
/// A graceful stop (SIGTERM to the agent) that arrives while the leader's renewal is on the wire: the leader must still
/// stop its work and release the Lease, so the next agent takes over within a retry period instead of waiting for the
/// Lease to expire. Over an in-memory Lease store that can hold one write, as a slow API server does.
/// </summary>
public sealed class LeaderReleaseTests
{
    [Theory]
    [InlineData(false)] // the held renewal is abandoned and never lands
    [InlineData(true)]  // it lands after all, so the version the leader holds is stale when it releases
    public async Task A_stop_during_a_renewal_on_the_wire_still_releases_the_lease(bool renewalLands)
    {
        var leases = new HoldingLeases();
        var log = new RecordingLog();
        var election = new LeaderElection(leases, new LeaderElectionOptions
        {
            Identity = "node-a",
            LeaseDuration = TimeSpan.FromSeconds(30),
            RenewDeadline = TimeSpan.FromSeconds(20),
            RetryPeriod = TimeSpan.FromMilliseconds(100),
        }, log);
        using var stop = new CancellationTokenSource();
        var run = election.RunAsync(ct => Task.Delay(Timeout.Infinite, ct), stop.Token);
        Wait.Until(() => election.IsLeader, TimeSpan.FromSeconds(5), "node-a to lead");

        var held = leases.HoldNextUpdate(renewalLands);
        await held.WaitAsync(TimeSpan.FromSeconds(5)); // a renewal is on the wire
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Null(leases.Current!.HolderIdentity);
        Assert.Equal(1, leases.Current.LeaseDurationSeconds);
        Assert.True(log.Contains("released the Lease", LogLevel.Info), log.ToString());
    }

    /// <summary>One Lease in memory with resourceVersion checks; <see cref="HoldNextUpdate"/> keeps one write on the wire until its caller gives up.</summary>
    private sealed class HoldingLeases : IKubeLeases
    {
        private readonly object _gate = new();
        private long _version;
        private TaskCompletionSource? _held;
        private bool _landsAnyway;

        public LeaseRecord? Current { get; private set; }

        /// <summary>The next update waits until cancelled; <paramref name="landsAnyway"/>: the server applies it all the same. Completes once it waits.</summary>
        public Task HoldNextUpdate(bool landsAnyway)
        {
            lock (_gate)
            {
                _landsAnyway = landsAnyway;
                _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _held.Task;
            }
        }

        public Task<LeaseRecord?> GetLeaseAsync(string ns, string name, CancellationToken cancellationToken)
        {
            lock (_gate) return Task.FromResult(Current);
        }

        public Task<LeaseRecord?> TryCreateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (Current is not null) return Task.FromResult<LeaseRecord?>(null);
                Current = lease with { ResourceVersion = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture) };
                return Task.FromResult<LeaseRecord?>(Current);
            }
        }

        public async Task<LeaseRecord?> TryUpdateLeaseAsync(LeaseRecord lease, CancellationToken cancellationToken)
        {
            TaskCompletionSource? held;
            bool lands;
            lock (_gate)
            {
                held = _held;
                lands = _landsAnyway;
                _held = null;
            }
            if (held is not null)
            {
                held.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    if (lands) Apply(lease);
                }
            }
            return Apply(lease);
        }

        private LeaseRecord? Apply(LeaseRecord lease)
        {
            lock (_gate)
            {
                if (Current is null || Current.ResourceVersion != lease.ResourceVersion) return null; // 409
                Current = lease with { ResourceVersion = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture) };
                return Current;
            }
        }
    }
}

using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics, so that one agent in the cluster runs the
/// cluster-wide work (the sweep) at a time.
/// </summary>
/// <remarks>
/// <para>Acquire: every <c>RetryPeriod</c> (less up to a fifth, so electors do not fire together) read the Lease; create it
/// when absent; take it when it has no holder or has expired — its <c>renewTime + leaseDurationSeconds</c> is past by our
/// clock, or it has not changed for <c>leaseDurationSeconds</c> as we watched it (which also covers a holder whose clock
/// runs ahead). Taking it from another holder increments <c>leaseTransitions</c>. Every write carries the
/// resourceVersion it was read at, so of two electors racing only one wins; the other's 409 is an answer, not an error.</para>
/// <para>Lead: renew every <c>RetryPeriod</c>; leadership ends when no renewal succeeded for <c>RenewDeadline</c> (measured
/// from the moment the last successful write was sent) or another holder shows up. The token given to the leader's work is
/// cancelled at that moment, and <see cref="IsLeader"/> turns false by the clock even if this loop is late. A graceful
/// shutdown (cancelling <see cref="RunAsync"/>) waits for the work to stop, then clears the holder so another agent
/// takes over at its next try.</para>
/// <para>Safety rests on the gap LeaseDuration − RenewDeadline (5 s by default): node clocks must agree to well within it
/// (NTP does), and the leader's work must stop within it once its token is cancelled.</para>
/// </remarks>
public sealed class LeaderElection
{
    private readonly IKubeLeases _leases;
    private readonly LeaderElectionOptions _options;
    private readonly ILog _log;
    private readonly TimeProvider _time;
    private readonly int _leaseSeconds;
    private LeaseRecord? _observed;
    private long _observedAt;
    private long _renewedAt;
    private volatile bool _leading;
    private int _failures;

    public LeaderElection(IKubeLeases leases, LeaderElectionOptions options, ILog log, TimeProvider? time = null)
    {
        options.Validate();
        _leases = leases;
        _options = options;
        _log = log;
        _time = time ?? TimeProvider.System;
        _leaseSeconds = (int)options.LeaseDuration.TotalSeconds;
    }

    /// <summary>The holderIdentity of an agent: its node name, and its pod name when known (a restarted pod is a new holder).</summary>
    public static string IdentityOf(string nodeName, string? podName) => string.IsNullOrEmpty(podName) ? nodeName : $"{nodeName}_{podName}";

    /// <summary>True while this agent leads: it holds the Lease and renewed it less than RenewDeadline ago.</summary>
    public bool IsLeader => _leading && _time.GetElapsedTime(Interlocked.Read(ref _renewedAt)) < _options.RenewDeadline;

    /// <summary>The holder the Lease named when last read or written (null: none, or not read yet).</summary>
    public string? ObservedLeader => Volatile.Read(ref _observed)?.HolderIdentity;

    /// <summary>
    /// Competes for the Lease until <paramref name="cancellationToken"/> is cancelled; whenever this agent becomes the leader,
    /// runs <paramref name="onStartedLeading"/> with a token that is cancelled when leadership ends. The work should run until
    /// then; if it returns (or throws) earlier, the agent steps down and competes again. Returns after a cancellation (and
    /// the release of the Lease, when it led); never throws for the API server's failures.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> onStartedLeading, CancellationToken cancellationToken)
    {
        _log.Write(LogLevel.Info, "leader election started", Fields());
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await AcquireAsync(cancellationToken).ConfigureAwait(false);
                await LeadAsync(onStartedLeading, cancellationToken).ConfigureAwait(false);
                if (!cancellationToken.IsCancellationRequested)
                    await Task.Delay(_options.RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        _log.Write(LogLevel.Info, "leader election stopped", Fields());
    }

    private async Task AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryAsync(_options.RenewDeadline, cancellationToken).ConfigureAwait(false)) return;
            var pause = _options.RetryPeriod * (1 - 0.2 * Random.Shared.NextDouble());
            await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LeadAsync(Func<CancellationToken, Task> onStartedLeading, CancellationToken cancellationToken)
    {
        _leading = true;
        _log.Write(LogLevel.Info, "became the leader", Fields(("leaseTransitions", _observed?.LeaseTransitions)));
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = Task.Run(() => onStartedLeading(leading.Token), CancellationToken.None);
        var why = "";
        try
        {
            while (why.Length == 0)
            {
                var pause = Task.Delay(_options.RetryPeriod, _time, cancellationToken);
                if (await Task.WhenAny(pause, work).ConfigureAwait(false) == work && !cancellationToken.IsCancellationRequested)
                    why = "its work ended";
                else if (cancellationToken.IsCancellationRequested)
                    why = "shutdown";
                else if (!await RenewOrStopAsync(cancellationToken).ConfigureAwait(false))
                    why = cancellationToken.IsCancellationRequested ? "shutdown" : "lost the Lease";
            }
        }
        finally
        {
            _leading = false;
            await leading.CancelAsync().ConfigureAwait(false);
        }
        _log.Write(why == "lost the Lease" ? LogLevel.Warn : LogLevel.Info, "stopped leading", Fields(("why", why), ("holder", ObservedLeader)));
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _log.Write(LogLevel.Error, "the leader's work failed", Fields(("error", e.ToString())));
        }
        if (why == "its work ended" || why == "shutdown" && _options.ReleaseOnCancel) await ReleaseAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="RenewAsync"/>, where a shutdown that lands during a renewal on the wire is an answer (false), not an
    /// exception: the leader still stops its work and releases the Lease, instead of leaving it to expire.
    /// </summary>
    private async Task<bool> RenewOrStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RenewAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Renews until it succeeds (true) or RenewDeadline has passed since the last success or another holder took the Lease (false).</summary>
    private async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = _options.RenewDeadline - _time.GetElapsedTime(Interlocked.Read(ref _renewedAt));
            if (remaining <= TimeSpan.Zero) return false;
            if (await TryAsync(remaining, cancellationToken).ConfigureAwait(false)) return true;
            if (ObservedLeader is { Length: > 0 } other && other != _options.Identity) return false;
            remaining = _options.RenewDeadline - _time.GetElapsedTime(Interlocked.Read(ref _renewedAt));
            if (remaining <= TimeSpan.Zero) return false;
            await Task.Delay(remaining < _options.RetryPeriod ? remaining : _options.RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One acquire-or-renew within <paramref name="limit"/>; false when it did not make this agent the holder (including failures, logged).</summary>
    private async Task<bool> TryAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(limit);
        try
        {
            var done = await TryAcquireOrRenewAsync(attempt.Token).ConfigureAwait(false);
            if (_failures > 0) _log.Write(LogLevel.Info, "the Lease is reachable again", Fields(("failures", _failures)));
            _failures = 0;
            return done;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Failed("no answer in time");
            return false;
        }
        catch (Exception e) when (e is KubeException or KubeconfigException)
        {
            Failed(e.Message);
            return false;
        }
    }

    private void Failed(string error)
    {
        // An API server outage would log every RetryPeriod: the first failure is a warning, the rest debug until it recovers.
        _log.Write(_failures++ == 0 ? LogLevel.Warn : LogLevel.Debug, "cannot read or write the Lease", Fields(("error", error)));
    }

    /// <summary>client-go's tryAcquireOrRenew: true when this agent wrote itself as the holder.</summary>
    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var lease = await _leases.GetLeaseAsync(_options.Namespace, _options.Name, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var stamp = _time.GetTimestamp();
        if (lease is null)
        {
            var created = await _leases.TryCreateLeaseAsync(
                new LeaseRecord(_options.Namespace, _options.Name, _options.Identity, _leaseSeconds, now, now, 0), cancellationToken).ConfigureAwait(false);
            if (created is null) return false; // another elector created it first
            Observe(created, stamp);
            Interlocked.Exchange(ref _renewedAt, stamp);
            return true;
        }
        Observe(lease, stamp);
        var mine = lease.HolderIdentity == _options.Identity;
        if (!mine && !string.IsNullOrEmpty(lease.HolderIdentity) && !Expired(lease, now)) return false;
        var next = lease with
        {
            HolderIdentity = _options.Identity,
            LeaseDurationSeconds = _leaseSeconds,
            RenewTime = now,
            AcquireTime = mine ? lease.AcquireTime ?? now : now,
            LeaseTransitions = mine ? lease.LeaseTransitions ?? 0 : (lease.LeaseTransitions ?? 0) + 1,
        };
        var written = await _leases.TryUpdateLeaseAsync(next, cancellationToken).ConfigureAwait(false);
        if (written is null)
        {
            _log.Write(LogLevel.Debug, "the Lease changed under us (409); reading it again", Fields());
            return false;
        }
        if (!mine) _log.Write(LogLevel.Info, "acquired the Lease", Fields(("previousHolder", lease.HolderIdentity), ("leaseTransitions", written.LeaseTransitions)));
        Observe(written, stamp);
        Interlocked.Exchange(ref _renewedAt, stamp);
        return true;
    }

    private bool Expired(LeaseRecord lease, DateTimeOffset now)
    {
        var duration = TimeSpan.FromSeconds(lease.LeaseDurationSeconds is > 0 and var s ? s : _leaseSeconds);
        if (lease.RenewTime is { } renewed && renewed + duration < now) return true;
        return _time.GetElapsedTime(_observedAt) > duration;
    }

    /// <summary>Remembers the Lease and, when its version is new, when we first saw it (the local clock of its expiry).</summary>
    private void Observe(LeaseRecord lease, long stamp)
    {
        var previous = _observed;
        if (previous?.ResourceVersion != lease.ResourceVersion) _observedAt = stamp;
        if (previous is not null && previous.HolderIdentity != lease.HolderIdentity && !string.IsNullOrEmpty(lease.HolderIdentity)
            && lease.HolderIdentity != _options.Identity)
            _log.Write(LogLevel.Info, "the Lease has a new holder", Fields(("holder", lease.HolderIdentity)));
        Volatile.Write(ref _observed, lease);
    }

    /// <summary>
    /// Clears the holder (client-go's release: leaseDurationSeconds 1), so the next elector need not wait for expiry. A
    /// renewal abandoned by the shutdown may have landed after all (the version we hold is then stale, 409): the Lease is
    /// read again and, while it still names this agent, released from that version.
    /// </summary>
    private async Task ReleaseAsync()
    {
        if (_observed is not { } lease || lease.HolderIdentity != _options.Identity) return;
        using var budget = new CancellationTokenSource(_options.RenewDeadline);
        try
        {
            LeaseRecord? released = null;
            for (var attempt = 0; attempt < 3 && lease?.HolderIdentity == _options.Identity; attempt++)
            {
                var now = _time.GetUtcNow();
                released = await _leases.TryUpdateLeaseAsync(
                    lease with { HolderIdentity = null, LeaseDurationSeconds = 1, AcquireTime = now, RenewTime = now }, budget.Token).ConfigureAwait(false);
                if (released is not null) break;
                lease = await _leases.GetLeaseAsync(_options.Namespace, _options.Name, budget.Token).ConfigureAwait(false);
            }
            if (released is not null) Observe(released, _time.GetTimestamp());
            _log.Write(LogLevel.Info, released is null ? "the Lease changed before it could be released" : "released the Lease", Fields());
        }
        catch (Exception e) when (e is KubeException or KubeconfigException or OperationCanceledException)
        {
            _log.Write(LogLevel.Warn, "cannot release the Lease; it expires by itself", Fields(("error", e.Message)));
        }
    }

    private (string Key, object? Value)[] Fields(params (string Key, object? Value)[] more) =>
        [("lease", $"{_options.Namespace}/{_options.Name}"), ("identity", _options.Identity), .. more];
}

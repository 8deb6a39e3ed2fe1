namespace EipCni.Node;

/// <summary>
/// Which Lease <see cref="LeaderElection"/> competes for, as whom, and client-go's timings (kube-controller-manager's
/// defaults: 15 s, 10 s, 2 s). A leader that cannot renew for <see cref="RenewDeadline"/> stops leading; the others take
/// the Lease once it has not been renewed for <see cref="LeaseDuration"/>, so the gap between the two is the margin for
/// clock skew between nodes and for the old leader's work to notice its cancellation.
/// </summary>
public sealed record LeaderElectionOptions
{
    public string Namespace { get; init; } = "kube-system";
    public string Name { get; init; } = "eip-cni-sweeper";

    /// <summary>holderIdentity: unique per agent (<see cref="LeaderElection.IdentityOf"/>).</summary>
    public required string Identity { get; init; }

    /// <summary>How long a Lease stays the holder's without renewal (whole seconds: leaseDurationSeconds).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps leading without a successful renewal.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the leader renews and the others try to acquire.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// On cancellation of <see cref="LeaderElection.RunAsync"/> (a graceful shutdown), clear the holder so another agent takes
    /// over at its next try instead of after <see cref="LeaseDuration"/>. Tests turn it off to play a crash.
    /// </summary>
    public bool ReleaseOnCancel { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> unless LeaseDuration &gt; RenewDeadline &gt; RetryPeriod &gt; 0 and the names are set.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Identity)) throw new ArgumentException("the identity is empty", nameof(Identity));
        if (string.IsNullOrEmpty(Namespace) || string.IsNullOrEmpty(Name)) throw new ArgumentException("the Lease needs a namespace and a name");
        if (LeaseDuration.TotalSeconds < 1 || LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentException($"LeaseDuration {LeaseDuration} must be whole seconds, at least one", nameof(LeaseDuration));
        if (RetryPeriod <= TimeSpan.Zero) throw new ArgumentException("RetryPeriod must be positive", nameof(RetryPeriod));
        if (RenewDeadline <= RetryPeriod) throw new ArgumentException($"RenewDeadline {RenewDeadline} must be longer than RetryPeriod {RetryPeriod}", nameof(RenewDeadline));
        if (LeaseDuration <= RenewDeadline) throw new ArgumentException($"LeaseDuration {LeaseDuration} must be longer than RenewDeadline {RenewDeadline}", nameof(LeaseDuration));
    }
}

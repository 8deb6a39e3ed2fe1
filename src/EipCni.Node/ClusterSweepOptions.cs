namespace EipCni.Node;

/// <summary>What the cluster sweep looks for, how often, and how gently it uses the cloud.</summary>
public sealed record ClusterSweepOptions
{
    /// <summary>Only EIPs whose ownership tags name this cluster are looked at.</summary>
    public required string ClusterId { get; init; }

    /// <summary>Where the orphan memory is kept (<c>cluster-sweep.json</c>); null: in memory only.</summary>
    public string? StateDir { get; init; }

    /// <summary>Time between the leader's passes.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>An EIP whose node is gone is given back only when two passes at least this far apart saw it so.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// DescribeEipAddresses calls a minute: a tenth of the account's default 600, which every node's ADD polls share. A
    /// page lists 100 EIPs and a look-up before acting checks 20.
    /// </summary>
    public int DescribesPerMinute { get; init; } = 60;

    /// <summary>Unbinds, releases, tags and package removals a minute (the account allows 120 unbinds and 600 releases).</summary>
    public int MutationsPerMinute { get; init; } = 60;

    /// <summary>Pages of the listing (100 EIPs each); a listing that goes on longer is cut there and logged.</summary>
    public int MaxPages { get; init; } = 200;

    /// <summary>One EIP's budget for its unbind (the cloud's transition included) and release.</summary>
    public TimeSpan ActionBudget { get; init; } = TimeSpan.FromSeconds(60);

    public string? MemoryFile => StateDir is null ? null : Path.Combine(StateDir, "cluster-sweep.json");
}

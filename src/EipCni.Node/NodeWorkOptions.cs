using System.Net;

namespace EipCni.Node;

/// <summary>Where the agent's long-running node work reads, how it is scheduled and where it answers.</summary>
public sealed record NodeWorkOptions
{
    /// <summary>The plugin's state dir (its journal is counted for the metrics).</summary>
    public required string StateDir { get; init; }

    /// <summary>The plugin's JSON log, read for its calls' outcomes and latencies.</summary>
    public required string LogFile { get; init; }

    /// <summary>Where /metrics and /healthz answer; null (the default): not served.</summary>
    public IPEndPoint? MetricsAddress { get; init; }

    /// <summary>How often the plugin's log is read for new lines.</summary>
    public TimeSpan LogPoll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Time between node GC passes; also what health is judged by.</summary>
    public TimeSpan GcInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait before the first node GC pass (at start the chain and eni_conf come first).</summary>
    public TimeSpan FirstGcAfter { get; init; } = TimeSpan.Zero;

    /// <summary>How long an EIP must look orphaned before the sweep releases it; null: the sweep's default.</summary>
    public TimeSpan? SweepGrace { get; init; }

    /// <summary>While leading, how long to wait before composing the sweep again when the config is unusable.</summary>
    public TimeSpan RecomposeAfter { get; init; } = TimeSpan.FromMinutes(1);
}

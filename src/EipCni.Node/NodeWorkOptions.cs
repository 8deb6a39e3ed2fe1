using System.Net;

namespace EipCni.Node;

/// <summary>How the agent's long-running node work is scheduled and where it answers.</summary>
public sealed record NodeWorkOptions
{
    /// <summary>Where /metrics and /healthz answer. Loopback by default: the DaemonSet opens it wider when it is scraped.</summary>
    public IPEndPoint MetricsAddress { get; init; } = new(IPAddress.Loopback, 9811);

    /// <summary>How often the plugin's log is read for new lines.</summary>
    public TimeSpan LogPoll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The node GC's interval (it has its own options; this is what health is judged by).</summary>
    public TimeSpan GcInterval { get; init; } = TimeSpan.FromMinutes(5);
}

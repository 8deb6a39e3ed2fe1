using EipCni.Cni;

namespace EipCni.Plugin;

/// <summary>
/// Where a call's EIP work runs: in this process (<c>eip-cni-agent</c>, which links the engine) or in a child
/// process (<c>eip-cni</c>, which must not: it hands the call to <c>eip-cni-agent</c>, see <see cref="AgentProcess"/>).
/// <see cref="EipPlugin"/> decides whether there is work at all; the work decides everything else.
/// </summary>
public interface IEipWork
{
    /// <summary>
    /// Runs the EIP side of ADD, DEL, CHECK or GC within <paramref name="budget"/>. <paramref name="eniConf"/> is what
    /// ADD and CHECK decided by; null for DEL and GC, which decide by the journal and read eni_conf only for real work.
    /// </summary>
    CniOutcome Run(CniCall call, EniConf? eniConf, TimeSpan budget);

    /// <summary>STATUS with the feature on: the same local preconditions ADD checks before its first cloud call.</summary>
    CniOutcome Status(CniCall call, EniConf eniConf);
}

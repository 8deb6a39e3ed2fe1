using System.Globalization;

namespace EipCni.Plugin;

/// <summary>
/// The contract between <c>eip-cni</c> and the <c>eip-cni-agent</c> it runs for a CNI call with EIP work, used by both
/// sides (<see cref="AgentProcess"/> starts the child, the agent's entry point calls <see cref="EnterAsChild"/>):
/// <list type="bullet">
/// <item>The agent is the file <see cref="AgentFileName"/> in eip-cni's own directory (symlinks resolved).</item>
/// <item>The child gets eip-cni's environment unchanged plus <see cref="ParentPidVariable"/>, the same stdin bytes, and
/// eip-cni's stderr. It answers on stdout itself: one CNI result or error JSON, which eip-cni relays unchanged.</item>
/// <item>Exit code 0 is success and non-zero a failure, exactly as for any CNI plugin. A child that exits without
/// writing anything is reported by eip-cni as code 11 (try again later): the journal lets the retried call converge.</item>
/// <item>Parent death: the runtime kills eip-cni when its deadline passes; the child asks the kernel for SIGKILL when
/// its parent dies, and exits at once if the parent is already gone, so it never keeps changing the cloud behind a
/// caller that has given up.</item>
/// </list>
/// </summary>
public static class AgentHandOff
{
    public const string AgentFileName = "eip-cni-agent";

    /// <summary>Set by eip-cni for the child: its own PID, which the child compares with its parent's.</summary>
    public const string ParentPidVariable = "EIP_CNI_PARENT_PID";

    /// <summary>Exit code of a child whose parent had already died: nothing was done.</summary>
    public const int ParentGone = 1;

    public static string ParentPidValue() => Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// In the agent, first thing when <see cref="ParentPidVariable"/> is set: dies with its parent from now on. False
    /// when the parent already died (exit with <see cref="ParentGone"/> and do nothing).
    /// </summary>
    public static bool EnterAsChild(Func<string, string?> env)
    {
        if (!int.TryParse(env(ParentPidVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var parent)) return true;
        _ = Libc.prctl(Libc.PR_SET_PDEATHSIG, 9, 0, 0, 0);
        return Libc.getppid() == parent;
    }
}

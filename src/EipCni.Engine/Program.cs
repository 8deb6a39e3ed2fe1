using System.Runtime.InteropServices;
using EipCni;
using EipCni.Cli;
using EipCni.Cni;

// eip-cni-engine: the heavy half of eip-cni, with the cloud and Kubernetes clients and the operator command line.
// eip-cni runs it (same env, same stdin, our stdout is its stdout) only for CNI calls that have EIP work to do, and
// execs it for the command line, so pods without EIPs never load any of this.

// It will hold cloud credentials (eni_conf's AccessKey, STS tokens) in memory: not dumpable, so no core file carries
// them and /proc/<pid>/mem, environ and the like stay root's (a process of the same non-root user cannot read them).
_ = EngineLink.prctl(EngineLink.PR_SET_DUMPABLE, 0, 0, 0, 0);

if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_COMMAND")))
    return await CommandLine.RunAsync(args);

// The runtime kills eip-cni when its deadline passes; the engine must not outlive it and keep changing the cloud
// behind a caller that has given up (the journal lets the retried ADD converge instead).
if (int.TryParse(Environment.GetEnvironmentVariable(EngineLink.ParentPidVariable), out var parent))
{
    _ = EngineLink.prctl(EngineLink.PR_SET_PDEATHSIG, 9, 0, 0, 0);
    if (EngineLink.getppid() != parent) return 1; // the parent died before the request could take effect
}

using var stdin = Console.OpenStandardInput();
using var stdout = Console.OpenStandardOutput();
return new Plugin(Environment.GetEnvironmentVariable, stdin, stdout, engineFactory: EngineComposition.Create,
    beforeEngine: Plugin.SetAsideUnreadableRecord).Run();

internal static partial class EngineLink
{
    public const string ParentPidVariable = "EIP_CNI_PARENT_PID";
    public const int PR_SET_PDEATHSIG = 1;
    public const int PR_SET_DUMPABLE = 4;

    [DllImport("libc.so.6")]
    public static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [DllImport("libc.so.6")]
    public static extern int getppid();
}

using System.Runtime.InteropServices;
using EipCni;
using EipCni.Cni;

// eip-cni-engine: the EIP half of the plugin, with the cloud and Kubernetes clients. eip-cni runs it (same env, same
// stdin, our stdout is its stdout) only for calls that have EIP work to do, so pods without EIPs never load it.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_COMMAND")))
{
    Console.Error.WriteLine("eip-cni-engine is run by eip-cni for CNI calls that need the cloud; use eip-cni instead.");
    return 2;
}

// The runtime kills eip-cni when its deadline passes; the engine must not outlive it and keep changing the cloud
// behind a caller that has given up (the journal lets the retried ADD converge instead).
if (int.TryParse(Environment.GetEnvironmentVariable(EngineLink.ParentPidVariable), out var parent))
{
    _ = EngineLink.prctl(EngineLink.PR_SET_PDEATHSIG, 9, 0, 0, 0);
    if (EngineLink.getppid() != parent) return 1; // the parent died before the request could take effect
}

using var stdin = Console.OpenStandardInput();
using var stdout = Console.OpenStandardOutput();
return new Plugin(Environment.GetEnvironmentVariable, stdin, stdout, engineFactory: EngineComposition.Create).Run();

internal static partial class EngineLink
{
    public const string ParentPidVariable = "EIP_CNI_PARENT_PID";
    public const int PR_SET_PDEATHSIG = 1;

    [DllImport("libc.so.6")]
    public static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [DllImport("libc.so.6")]
    public static extern int getppid();
}

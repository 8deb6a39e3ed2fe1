using EipCni;
using EipCni.Cni;

// Composition root of the hot path: with CNI_COMMAND set this is the CNI plugin, run for every pod on the node. It
// links no network stack and no command-line parser (each measured to cost start-up time for every pod); calls with
// EIP work, and the operator command line, go to eip-cni-engine next to it.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_COMMAND")))
    return EngineProcess.ExecCommandLine(args);

using var stdin = Console.OpenStandardInput();
using var stdout = Console.OpenStandardOutput();
return new Plugin(Environment.GetEnvironmentVariable, stdin, stdout, delegateToEngine: bytes => EngineProcess.Run(bytes, stdout)).Run();

using EipCni;
using EipCni.Cni;
using EipCni.Plugin;

// Composition root of the hot path: with CNI_COMMAND set this is the CNI plugin, run for every pod on the node. Its
// project graph holds no network stack, cloud or Kubernetes client and no command-line parser (each measured to cost
// start-up time for every pod): calls with EIP work, and the operator command line, go to eip-cni-agent next to it.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_COMMAND")))
    return AgentProcess.ExecCommandLine(args);

using var stdin = FdStream.StandardInput();
using var stdout = FdStream.StandardOutput();
return new CniSkel(Environment.GetEnvironmentVariable, stdin, stdout, new EipPlugin(new AgentProcess(stdout))).Run();

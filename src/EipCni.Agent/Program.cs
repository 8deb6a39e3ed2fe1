using EipCni;
using EipCni.Cli;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Plugin;

// eip-cni-agent: the heavy half of eip-cni, with the cloud and Kubernetes clients. With CNI_COMMAND set it is the
// per-call engine (eip-cni runs it under the AgentHandOff contract, only for calls with EIP work, so pods without
// EIPs never load any of this); without, the operator command line (and the DaemonSet's daemon).

// It will hold cloud credentials (eni_conf's AccessKey, STS tokens) in memory: not dumpable, so no core file carries
// them and /proc/<pid>/mem, environ and the like stay root's (a process of the same non-root user cannot read them).
_ = Libc.prctl(Libc.PR_SET_DUMPABLE, 0, 0, 0, 0);

if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_COMMAND")))
    return await CommandLine.RunAsync(args);

if (!AgentHandOff.EnterAsChild(Environment.GetEnvironmentVariable))
    return AgentHandOff.ParentGone; // the parent died before the request could take effect

using var stdin = FdStream.StandardInput();
using var stdout = FdStream.StandardOutput();
return new CniSkel(Environment.GetEnvironmentVariable, stdin, stdout, new EipPlugin(new InProcessEngine(EngineComposition.Create))).Run();

using System.CommandLine;
using EipCni.Node;

namespace EipCni.Cli;

/// <summary>
/// <c>eip-cni-agent status</c>: the node self-check (<see cref="NodeSelfCheck"/>), one line per precondition of ADD,
/// <c>OK|FAIL  check  detail</c>, the fix under each failure. Exit 0 only when every check passes.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var binDir = OperatorOptions.BinDir();
        var confDir = OperatorOptions.ConfDir();
        var command = new Command("status", "Check every precondition CNI ADD needs on this node: both binaries current, eip-cni last in the active config, eni_conf, cluster ID, state dir, kubeconfig and token, a cloud credential, the endpoints reachable. Exit 0 only if all pass.")
        {
            binDir, confDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var checks = await new NodeSelfCheck { CniBinDir = parse.GetValue(binDir)!, CniConfDir = parse.GetValue(confDir)! }.RunAsync(ct).ConfigureAwait(false);
            Console.Out.Write(SelfCheck.Format(checks));
            return checks.All(c => c.Ok) ? 0 : 1;
        });
        return command;
    }
}

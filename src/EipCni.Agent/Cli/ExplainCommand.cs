using System.CommandLine;
using EipCni.Node;

namespace EipCni.Cli;

/// <summary>
/// <c>eip-cni-agent explain -f POD</c>: offline, what ADD would do for this pod under this node's config
/// (<see cref="PodExplanation"/>). Exit 0 when ADD would proceed (or pass the pod through), 1 when it would fail or
/// the input cannot be read.
/// </summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--filename", "-f")
        {
            Description = "The pod: a YAML or JSON manifest (kubectl get pod NAME -o yaml or -o json), or - for stdin.",
            HelpName = "FILE",
            Required = true,
        };
        var confDir = OperatorOptions.ConfDir();
        var command = new Command("explain", "Explain, without any network call, what CNI ADD would do for a pod on this node: every annotation error exactly as ADD reports it, the EIP options it would send, and what it would ignore and why.")
        {
            file, confDir,
        };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(confDir)!));
        return command;
    }

    private static int Run(string file, string confDir)
    {
        PodManifest pod;
        NodeChain chain;
        try
        {
            var source = file == "-" ? "stdin" : file;
            var text = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
            pod = PodManifest.Parse(text, source);
            chain = NodeChain.Read(confDir);
        }
        catch (Exception e) when (e is PodManifestException or NodeChainException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"eip-cni-agent explain: {e.Message}");
            return 1;
        }
        return PodExplanation.Explain(pod, chain.Conf, Console.Out);
    }
}

using System.CommandLine;

namespace EipCni.Cli;

/// <summary>Options the node-reading commands share; unlike install's, they default to the host's paths.</summary>
internal static class OperatorOptions
{
    public static Option<string> ConfDir() => new("--cni-conf-dir")
    {
        Description = "The runtime's CNI config directory: eip-cni's entry in its active config gives the state dir, eni_conf, kubeconfig and endpoints.",
        HelpName = "DIR",
        DefaultValueFactory = _ => "/etc/cni/net.d",
    };

    public static Option<string> BinDir() => new("--cni-bin-dir")
    {
        Description = "The runtime's CNI bin directory.",
        HelpName = "DIR",
        DefaultValueFactory = _ => "/opt/cni/bin",
    };
}

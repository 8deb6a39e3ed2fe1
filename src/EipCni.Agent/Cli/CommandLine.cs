using System.CommandLine;
using EipCni.Cni;

namespace EipCni.Cli;

/// <summary>The operator-facing commands of the eip-cni binary (when it is not called as a CNI plugin).</summary>
public static class CommandLine
{
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("eip-cni: a chained CNI plugin that binds an Alibaba Cloud EIP to a pod's ENI IP during CNI ADD.\n" +
            "Called by the container runtime with CNI_COMMAND set; without it, these commands help operators.");

        var version = new Command("version", "Print the plugin version and the CNI spec versions it supports.");
        version.SetAction(_ =>
        {
            Console.Out.WriteLine($"eip-cni {BuildInfo.Version}");
            Console.Out.WriteLine($"CNI spec versions: {string.Join(", ", CniVersion.Supported)}");
            return 0;
        });
        root.Subcommands.Add(version);
        root.Subcommands.Add(InstallCommand.Create());
        root.Subcommands.Add(UninstallCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(GcCommand.Create());

        // `eip-cni help` and a bare `eip-cni` show the help, as operators expect; neither is an error.
        var help = new Command("help", "Show this help.");
        help.SetAction(_ => root.Parse("--help").Invoke());
        root.Subcommands.Add(help);
        root.SetAction(_ => root.Parse("--help").Invoke());

        return root.Parse(args).InvokeAsync();
    }
}

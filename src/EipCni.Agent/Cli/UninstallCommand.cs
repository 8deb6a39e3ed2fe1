using System.CommandLine;
using EipCni.Node;

namespace EipCni.Cli;

/// <summary>
/// <c>eip-cni-agent uninstall</c>: removes eip-cni's entries from the conf dir (renaming a converted <c>.conf</c> back),
/// then both binaries. Idempotent; one line per change on stdout, warnings and failures on stderr.
/// </summary>
internal static class UninstallCommand
{
    public static Command Create()
    {
        var binDir = InstallCommand.BinDirOption();
        var confDir = InstallCommand.ConfDirOption();
        var command = new Command("uninstall", "Remove eip-cni from the chain (every eip-cni entry of the conf dir's conflists; a .conf that install converted is restored) and remove eip-cni and eip-cni-agent from the CNI bin dir. Pods holding EIPs should be deleted first: after this their DEL no longer runs eip-cni.")
        {
            binDir, confDir,
        };
        command.SetAction(parse =>
        {
            try
            {
                var outcome = new ChainInstaller().Uninstall(new UninstallOptions { CniBinDir = parse.GetValue(binDir)!, CniConfDir = parse.GetValue(confDir)! });
                foreach (var warning in outcome.Warnings) Console.Error.WriteLine($"eip-cni-agent uninstall: warning: {warning}");
                foreach (var change in outcome.Changes) Console.Out.WriteLine(change.Description);
                if (!outcome.Changed) Console.Out.WriteLine("eip-cni is not installed; nothing changed");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"eip-cni-agent uninstall: failed: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}

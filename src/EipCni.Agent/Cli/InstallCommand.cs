using System.CommandLine;
using EipCni.Node;

namespace EipCni.Cli;

/// <summary>
/// <c>eip-cni-agent install</c>: copies both binaries into the CNI bin dir and puts eip-cni last in the config the
/// runtime loads (the DaemonSet's init container; <see cref="ChainInstaller"/> does the work). One line per change on
/// stdout; a refusal or failure on stderr with exit code 1.
/// </summary>
internal static class InstallCommand
{
    public static Command Create()
    {
        var binDir = BinDirOption();
        var confDir = ConfDirOption();
        var pluginConfig = new Option<string>("--plugin-config")
        {
            Description = "A file holding a JSON object: its keys become eip-cni's entry (clusterId, logLevel, ...); type and capabilities are set by install. Without it an entry already there keeps its keys.",
            HelpName = "FILE",
        };
        var nodeName = new Option<string>("--node-name")
        {
            Description = "The Kubernetes node name, written as the entry's nodeName (ACK names nodes cn-hangzhou.10.0.1.5, not after the host).",
            HelpName = "NAME",
        };
        var wait = new Option<int>("--wait")
        {
            Description = "Retry a refused install once a second for up to this many seconds (at node start the primary plugin may not have written its config yet). Default 0: refuse at once.",
            HelpName = "SECONDS",
        };
        var command = new Command("install", "Copy eip-cni and eip-cni-agent into the CNI bin dir (atomically, skipped when identical) and insert eip-cni as the last plugin of the config the runtime loads (the lexically first *.conflist, *.conf or *.json; a single-plugin .conf becomes a .conflist). Idempotent: a second run writes nothing.")
        {
            binDir, confDir, pluginConfig, nodeName, wait,
        };
        command.SetAction(parse => Run(new InstallOptions
        {
            CniBinDir = parse.GetValue(binDir)!,
            CniConfDir = parse.GetValue(confDir)!,
            PluginConfigPath = parse.GetValue(pluginConfig),
            NodeName = parse.GetValue(nodeName),
        }, TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(wait)))));
        return command;
    }

    internal static Option<string> BinDirOption() => new("--cni-bin-dir")
    {
        Description = "The runtime's CNI bin directory (/opt/cni/bin on the host).",
        HelpName = "DIR",
        Required = true,
    };

    internal static Option<string> ConfDirOption() => new("--cni-conf-dir")
    {
        Description = "The runtime's CNI config directory (/etc/cni/net.d on the host).",
        HelpName = "DIR",
        Required = true,
    };

    private static int Run(InstallOptions options, TimeSpan wait)
    {
        var installer = new ChainInstaller();
        var deadline = DateTime.UtcNow + wait;
        string? lastRefusal = null;
        while (true)
        {
            try
            {
                var outcome = installer.Install(options);
                foreach (var change in outcome.Changes) Console.Out.WriteLine(change.Description);
                if (!outcome.Changed) Console.Out.WriteLine($"eip-cni is installed; nothing changed (active config {outcome.ActiveConfig})");
                return 0;
            }
            catch (InstallRefusedException e) when (DateTime.UtcNow < deadline)
            {
                if (e.Message != lastRefusal) Console.Error.WriteLine($"eip-cni-agent install: waiting: {e.Message}");
                lastRefusal = e.Message;
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
            catch (InstallRefusedException e)
            {
                Console.Error.WriteLine($"eip-cni-agent install: refused, nothing written: {e.Message}");
                return 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"eip-cni-agent install: failed: {e.Message}");
                return 1;
            }
        }
    }
}

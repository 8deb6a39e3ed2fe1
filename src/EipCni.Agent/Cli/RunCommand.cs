using System.CommandLine;
using System.Runtime.InteropServices;
using EipCni.Kube;
using EipCni.Node;

namespace EipCni.Cli;

/// <summary><c>eip-cni-agent run</c>: the DaemonSet's main container (<see cref="AgentRun"/>), until SIGTERM.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var binDir = InstallCommand.BinDirOption();
        var confDir = InstallCommand.ConfDirOption();
        var hostConfDir = new Option<string>("--host-cni-conf-dir") { Description = "The host's path of the CNI conf dir, named in files the plugin reads (default /etc/cni/net.d).", HelpName = "DIR", DefaultValueFactory = _ => "/etc/cni/net.d" };
        var pluginConfig = new Option<string>("--plugin-config") { Description = "The JSON object of eip-cni's entry (as for install); re-applied when it changes.", HelpName = "FILE" };
        var nodeName = new Option<string>("--node-name") { Description = "The Kubernetes node name (downward API spec.nodeName); default $NODE_NAME.", HelpName = "NAME" };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The agent's kubeconfig; default: the pod's service account.", HelpName = "FILE" };
        var metrics = new Option<string>("--metrics-address") { Description = "Where /metrics and /healthz are served (default :9767; empty: not served).", HelpName = "ADDRESS", DefaultValueFactory = _ => ":9767" };
        var eniConfig = new Option<string>("--eni-config") { Description = "The ConfigMap whose eni_conf is mirrored to the host (default kube-system/eni-config).", HelpName = "NAMESPACE/NAME", DefaultValueFactory = _ => "kube-system/eni-config" };
        var gcInterval = new Option<int>("--gc-interval") { Description = "Seconds between node GC passes (default 300).", HelpName = "SECONDS", DefaultValueFactory = _ => 300 };
        var sweepGrace = new Option<int>("--sweep-grace") { Description = "Seconds an EIP must look orphaned before the cluster sweep releases it (default 600).", HelpName = "SECONDS", DefaultValueFactory = _ => 600 };
        var noSweep = new Option<bool>("--no-sweep") { Description = "Never take part in the cluster sweep's leader election." };
        var logLevel = new Option<string>("--log-level") { Description = "debug, info, warn or error (default info).", HelpName = "LEVEL", DefaultValueFactory = _ => "info" };
        var command = new Command("run", "Keep this node right until SIGTERM: re-chain eip-cni when the conf dir changes, mirror eni_conf from its ConfigMap, keep the plugin's kubeconfig and token fresh, GC the node's leftovers, sweep the cluster while holding the Lease, serve /metrics and /healthz.")
        {
            binDir, confDir, hostConfDir, pluginConfig, nodeName, kubeconfig, metrics, eniConfig, gcInterval, sweepGrace, noSweep, logLevel,
        };
        command.SetAction(async (parse, ct) =>
        {
            var node = parse.GetValue(nodeName) ?? Environment.GetEnvironmentVariable("NODE_NAME");
            if (string.IsNullOrEmpty(node))
            {
                Console.Error.WriteLine("eip-cni-agent run: the node name is required: --node-name or NODE_NAME (downward API spec.nodeName)");
                return 1;
            }
            var level = parse.GetValue(logLevel) switch { "debug" => LogLevel.Debug, "warn" => LogLevel.Warn, "error" => LogLevel.Error, _ => LogLevel.Info };
            var eni = (parse.GetValue(eniConfig) ?? "kube-system/eni-config").Split('/', 2);
            var options = new AgentRunOptions
            {
                CniBinDir = parse.GetValue(binDir)!,
                CniConfDir = parse.GetValue(confDir)!,
                HostCniConfDir = parse.GetValue(hostConfDir)!,
                PluginConfigPath = parse.GetValue(pluginConfig),
                NodeName = node,
                PodName = Environment.GetEnvironmentVariable("POD_NAME"),
                Kubeconfig = parse.GetValue(kubeconfig),
                MetricsAddress = parse.GetValue(metrics) is { Length: > 0 } m ? m : null,
                EniConfigNamespace = eni.Length == 2 ? eni[0] : "kube-system",
                EniConfigName = eni[^1],
                GcInterval = TimeSpan.FromSeconds(Math.Max(10, parse.GetValue(gcInterval))),
                SweepGrace = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(sweepGrace))),
                Sweep = !parse.GetValue(noSweep),
                LogLevel = level,
            };
            var log = new StderrLog(level, "eip-cni-agent");
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // SIGTERM (the kubelet stopping the pod) and SIGINT end the loops gracefully: the Lease is released.
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping.Cancel(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping.Cancel(); });
            try
            {
                await new AgentRun(options, log).RunAsync(stopping.Token);
                return 0;
            }
            catch (Exception e) when (e is KubeconfigException or InstallRefusedException or IOException)
            {
                Console.Error.WriteLine($"eip-cni-agent run: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}

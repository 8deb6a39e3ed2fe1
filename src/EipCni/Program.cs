using EipCni.Cli;
using EipCni.Cni;
using EipCni;

// Composition root. With CNI_COMMAND set this is the CNI plugin (the hot path, run for every pod on the node);
// without it, a small command-line tool for operators.
if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_COMMAND")))
{
    using var stdin = Console.OpenStandardInput();
    using var stdout = Console.OpenStandardOutput();
    var plugin = new Plugin(Environment.GetEnvironmentVariable, stdin, stdout, delegateToEngine: EngineProcess.Run);
    return plugin.Run();
}

return await CommandLine.RunAsync(args);

using EipCni.Cli;
using EipCni.Cni;
using EipCni;
using EipCni.Eip;

// Composition root. With CNI_COMMAND set this is the CNI plugin (the hot path, run for every pod on the node);
// without it, a small command-line tool for operators.
if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_COMMAND")))
{
    using var stdin = Console.OpenStandardInput();
    using var stdout = Console.OpenStandardOutput();
    var plugin = new Plugin(Environment.GetEnvironmentVariable, stdin, stdout, EngineComposition.Create);
    return plugin.Run();
}

return await CommandLine.RunAsync(args);

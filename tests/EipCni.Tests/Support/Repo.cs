using System.Diagnostics;

namespace EipCni.Tests.Support;

/// <summary>Paths in the repository, and the published native binary the black-box tests run.</summary>
public static class Repo
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EipCni.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (EipCni.sln) above " + AppContext.BaseDirectory);
    });

    private static readonly Lazy<string> PluginLazy = new(() =>
    {
        var path = Path.Combine(Root, "out", "eip-cni");
        if (!File.Exists(path))
        {
            // scripts/test.sh builds first; this keeps a bare `dotnet test` honest too.
            var r = ProcessRunner.Run("bash", [Path.Combine(Root, "scripts", "build.sh")], timeout: TimeSpan.FromMinutes(10));
            if (r.ExitCode != 0 || !File.Exists(path)) throw new InvalidOperationException("scripts/build.sh failed:\n" + r.Stdout + r.Stderr);
        }
        return path;
    });

    public static string Root => RootLazy.Value;

    /// <summary>The NativeAOT eip-cni-agent published by scripts/build.sh (with the plugin), for tests of its own commands.</summary>
    public static string AgentBinary => AgentLazy.Value;

    private static readonly Lazy<string> AgentLazy = new(() =>
    {
        var path = Path.Combine(Root, "out", "eip-cni-agent");
        return File.Exists(path) ? path : Path.Combine(Path.GetDirectoryName(PluginBinary)!, "eip-cni-agent"); // the plugin's build publishes both
    });

    /// <summary>The NativeAOT binary published by scripts/build.sh (not the JIT build).</summary>
    public static string PluginBinary => PluginLazy.Value;
}

/// <summary>Result of running a process to completion.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

/// <summary>Runs a process with an exact environment and stdin.</summary>
public static class ProcessRunner
{
    public static ProcessResult Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null,
        byte[]? stdin = null, TimeSpan? timeout = null, bool inheritEnv = true, string? workDir = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Repo.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (!inheritEnv) psi.Environment.Clear();
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null) p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // the process may refuse (and close stdin) before reading everything
        }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in time");
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }
}

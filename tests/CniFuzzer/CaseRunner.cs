using System.Diagnostics;
using System.Text;

namespace CniFuzzer;

/// <summary>What one call did: exit code (null when it was killed at the hang limit), stdout, stderr, wall time.</summary>
public sealed record RunResult(int? ExitCode, byte[] Stdout, string Stderr, TimeSpan Elapsed)
{
    public bool Hung => ExitCode is null;
}

/// <summary>Runs the published binary with exactly the case's environment and stdin, killed (with its engine) at the limit.</summary>
public static class CaseRunner
{
    private const int MaxStdout = 16 << 20;
    private const int MaxStderr = 64 << 10;

    public static RunResult Run(string binary, BuiltCase c, TimeSpan limit)
    {
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (c.RawEnv.Count > 0)
        {
            // .NET passes environment values as UTF-16 strings; bytes that are not UTF-8 go through sh's printf, then exec.
            psi.FileName = "/bin/sh";
            var exports = string.Concat(c.RawEnv.Select(kv => $"export {kv.Key}=\"$(printf '{string.Concat(kv.Value.Select(b => $"\\{Convert.ToString(b, 8).PadLeft(3, '0')}"))}')\"; "));
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(exports + "exec \"$0\"");
            psi.ArgumentList.Add(binary);
        }
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var (k, v) in c.Env) psi.Environment[k] = v;
        foreach (var (k, v) in c.HarnessEnv) psi.Environment[k] = v;

        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = Task.Run(() => ReadCapped(p.StandardOutput.BaseStream, MaxStdout));
        var stderr = Task.Run(() => ReadCapped(p.StandardError.BaseStream, MaxStderr));
        _ = Task.Run(() =>
        {
            try
            {
                p.StandardInput.BaseStream.Write(c.Stdin);
                p.StandardInput.Close();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // the plugin may stop reading (a refusal, a hang, a kill): its answer tells
            }
        });
        int? exit = null;
        if (p.WaitForExit(limit))
        {
            p.WaitForExit();
            exit = p.ExitCode;
        }
        else
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
        }
        var elapsed = clock.Elapsed;
        // An engine that outlived eip-cni would keep the pipes open: do not wait for it forever.
        Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));
        return new RunResult(exit, stdout.IsCompletedSuccessfully ? stdout.Result : [],
            stderr.IsCompletedSuccessfully ? Encoding.UTF8.GetString(stderr.Result) : "", elapsed);
    }

    private static byte[] ReadCapped(Stream s, int max)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 << 10];
        int n;
        while ((n = s.Read(chunk)) > 0)
            if (buffer.Length < max) buffer.Write(chunk, 0, (int)Math.Min(n, max - buffer.Length));
        return buffer.ToArray();
    }
}

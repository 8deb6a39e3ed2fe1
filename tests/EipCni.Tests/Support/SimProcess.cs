using System.Diagnostics;
using System.Text.Json.Nodes;

namespace EipCni.Tests.Support;

/// <summary>A simulator started through its script; the first stdout line is its ready JSON. Killed on Dispose.</summary>
public sealed class SimProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stderr = new();

    public SimProcess(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        psi.ArgumentList.Add(Path.Combine(Repo.Root, "scripts", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) if (_stderr.Length < 200_000) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        var line = _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120)).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException($"{script} exited before it was ready:\n{Stderr}");
        Ready = JsonNode.Parse(line)!.AsObject();
        // Keep draining stdout so the simulator never blocks on a full pipe.
        _ = Task.Run(async () => { while (await _process.StandardOutput.ReadLineAsync() is not null) { } });
    }

    public JsonObject Ready { get; }

    public string Url => Ready["url"]!.GetValue<string>();

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public void Dispose()
    {
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

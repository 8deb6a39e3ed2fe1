using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using EipCni.Tests.Support;

namespace CniFuzzer;

/// <summary>The run's figures; <see cref="LastLine"/> is what scripts/fuzz.sh and the test read.</summary>
public sealed record FuzzReport(int Cases, int InternalErrors, int Hangs, int WrongSuccess, int HarnessErrors, TimeSpan Elapsed)
{
    public string LastLine => $"{Cases} cases, {InternalErrors} internal-errors, {Hangs} hangs, {WrongSuccess} wrong-success";

    public bool Passed => InternalErrors + Hangs + WrongSuccess + HarnessErrors == 0;
}

/// <summary>One case's outcome, kept small: the output only for findings.</summary>
public sealed record CaseOutcome(CaseRecipe Recipe, string Command, Feature Feature, IReadOnlyList<string> Labels, IReadOnlyList<string> Invalid,
    int StdinBytes, int? ExitCode, Judgement Judgement, TimeSpan Elapsed, string? Stdout, string? Stderr);

/// <summary>
/// Runs seeded cases against the published eip-cni, several at once, classifies each (<see cref="Judge"/>, <see cref="Oracle"/>),
/// shrinks a few reproducers per finding and prints the figures; the last line is the summary.
/// </summary>
public sealed partial class Fuzzer : IDisposable
{
    private readonly FuzzOptions _o;
    private readonly TextWriter _output;
    private readonly FuzzWorld _world;
    private readonly string _binary;
    private readonly ConcurrentBag<CaseOutcome> _outcomes = [];
    private readonly ConcurrentBag<string> _harnessErrors = [];

    private Fuzzer(FuzzOptions options, TextWriter output)
    {
        _o = options;
        _output = output;
        _binary = Repo.PluginBinary;
        if (!File.Exists(Path.Combine(Path.GetDirectoryName(_binary)!, "eip-cni-agent")))
            throw new InvalidOperationException($"eip-cni-agent is missing next to {_binary}: run scripts/build.sh");
        _world = new FuzzWorld();
    }

    public static FuzzReport Run(FuzzOptions options, TextWriter output)
    {
        using var f = new Fuzzer(options, output);
        return f.Run();
    }

    private FuzzReport Run()
    {
        var clock = Stopwatch.StartNew();
        if (_o.Case is { } single) return RunOne(single, clock);
        _output.WriteLine($"== protocol fuzz: seed {_o.Seed}, {_o.Cases} cases, {_o.Parallel} at once, against {_binary} (and eip-cni-agent next to it)");
        _output.WriteLine($"   cloud simulator {_world.SimUrl}, unreachable endpoint {_world.ClosedUrl}, scratch {_world.Root}");
        var next = 0;
        var done = 0;
        var step = Math.Max(1, _o.Cases / 10);
        var workers = Enumerable.Range(0, _o.Parallel).Select(w => new Thread(() =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) <= _o.Cases)
            {
                var recipe = CaseGenerator.Draw(_o.Seed, n);
                try
                {
                    _outcomes.Add(RunCase(recipe, null, keepOutput: false));
                }
                catch (Exception e)
                {
                    _harnessErrors.Add($"case {n}: {e}");
                }
                var d = Interlocked.Increment(ref done);
                if (d % step == 0 || d == _o.Cases) lock (_output) _output.WriteLine($"   {d}/{_o.Cases} cases after {clock.Elapsed.TotalSeconds:0} s");
            }
        }) { IsBackground = true, Name = $"fuzz-worker-{w}" }).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        var elapsed = clock.Elapsed;
        return Report(elapsed);
    }

    /// <summary>Replays one case of the seed and prints it as a reproducer.</summary>
    private FuzzReport RunOne(int number, Stopwatch clock)
    {
        var outcome = RunCase(CaseGenerator.Draw(_o.Seed, number), null, keepOutput: true);
        _output.WriteLine($"== case #{number} of seed {_o.Seed}: {outcome.Judgement.Verdict}, {outcome.Judgement.Signature}");
        WriteReproducer(outcome, outcome.Recipe.Mutations.Count);
        var v = outcome.Judgement.Verdict;
        var report = new FuzzReport(1, v == Verdict.InternalError ? 1 : 0, v == Verdict.Hang ? 1 : 0, v == Verdict.WrongSuccess ? 1 : 0, 0, clock.Elapsed);
        _output.WriteLine(report.LastLine);
        return report;
    }

    /// <summary>Builds, runs and judges one case (all its mutations, or those at <paramref name="keep"/>).</summary>
    private CaseOutcome RunCase(CaseRecipe recipe, IReadOnlyCollection<int>? keep, bool keepOutput)
    {
        var c = CaseGenerator.Build(_world, recipe, keep);
        try
        {
            MakeFiles(c);
            using var doc = Oracle.Parse(c.Stdin);
            var invalid = Oracle.Reasons(c, _world, doc?.RootElement);
            var r = CaseRunner.Run(_binary, c, c.HangLimit);
            var j = Judge.Classify(c, r, doc?.RootElement, invalid);
            var finding = keepOutput || j.Verdict != Verdict.Ok;
            return new CaseOutcome(c.Recipe, c.Command, c.Feature, c.Labels, invalid, c.Stdin.Length, r.ExitCode, j, r.Elapsed,
                finding ? Cut(System.Text.Encoding.UTF8.GetString(r.Stdout), 1500) : null, finding ? Cut(r.Stderr, 600) : null);
        }
        finally
        {
            try { if (Directory.Exists(c.CaseDir)) Directory.Delete(c.CaseDir, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static void MakeFiles(BuiltCase c)
    {
        foreach (var (path, file) in c.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            switch (file.Kind)
            {
                case CaseFileKind.Directory: Directory.CreateDirectory(path); break;
                case CaseFileKind.Fifo:
                    if (mkfifo(path, 0x1b6) != 0) throw new IOException($"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
                    break;
                default: File.WriteAllBytes(path, file.Content); break;
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    private static string Cut(string s, int max) => s.Length > max ? s[..max] + $"…({s.Length} chars)" : s;

    public void Dispose() => _world.Dispose();
}

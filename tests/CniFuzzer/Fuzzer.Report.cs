using System.Text;

namespace CniFuzzer;

public sealed partial class Fuzzer
{
    private static readonly (Verdict Verdict, string Title)[] Classes =
    [
        (Verdict.InternalError, "internal-errors (code 999, no single CNI error object, or a stack trace)"),
        (Verdict.Hang, "hangs (no exit within the verb's budget + 10 s; killed)"),
        (Verdict.WrongSuccess, "wrong-success (exit 0 for input known to be invalid, or a success with the wrong output)"),
    ];

    private FuzzReport Report(TimeSpan elapsed)
    {
        var all = _outcomes.OrderBy(o => o.Recipe.Number).ToList();
        var w = _output;
        w.WriteLine();
        w.WriteLine($"== figures (seed {_o.Seed}, {all.Count} cases in {elapsed.TotalSeconds:0} s)");
        w.WriteLine("   features: " + string.Join(", ", all.GroupBy(o => o.Feature).OrderBy(g => g.Key).Select(g => $"{g.Key.ToString().ToLowerInvariant()} {g.Count()}")));
        w.WriteLine("   exit codes: " + string.Join(", ", all.GroupBy(o => o.ExitCode is { } e ? $"{e}" : "killed").OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}")));
        foreach (var verb in all.GroupBy(o => Oracle.Verbs.Contains(o.Command) ? o.Command : "(other)").OrderBy(g => g.Key, StringComparer.Ordinal))
            w.WriteLine($"   {verb.Key,-8} {verb.Count(),5}: {verb.Count(o => o.ExitCode == 0)} exit 0" +
                (verb.Any(o => o.Judgement.CniCode is not null) ? "; codes " + string.Join(" ", verb.Where(o => o.Judgement.CniCode is not null)
                    .GroupBy(o => o.Judgement.CniCode!.Value).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}")) : ""));
        var invalid = all.Where(o => o.Invalid.Count > 0).ToList();
        w.WriteLine($"   oracle: {invalid.Count} cases known to be invalid; first rule per case: " +
            string.Join(" ", invalid.GroupBy(o => o.Invalid[0].Split(' ')[0]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}")));
        if (all.Where(o => o.ExitCode is not null).MaxBy(o => o.Elapsed) is { } slow)
            w.WriteLine($"   slowest case that exited: #{slow.Recipe.Number} {slow.Command} (feature {slow.Feature.ToString().ToLowerInvariant()}) " +
                $"{slow.Elapsed.TotalSeconds:0.00} s, {slow.Judgement.Signature}; {Mutations(slow)}");
        var times = all.Where(o => o.ExitCode is not null).Select(o => o.Elapsed.TotalMilliseconds).Order().ToArray();
        if (times.Length > 0)
            w.WriteLine($"   call time: median {times[times.Length / 2]:0} ms, 99th percentile {times[(int)(times.Length * 0.99)]:0} ms");

        var shrinkLeft = _o.ShrinkBudget;
        foreach (var (verdict, title) in Classes)
        {
            var found = all.Where(o => o.Judgement.Verdict == verdict).ToList();
            if (found.Count == 0) continue;
            w.WriteLine();
            w.WriteLine($"== {found.Count} {title}");
            var groups = found.GroupBy(o => o.Judgement.Signature).OrderByDescending(g => g.Count()).ToList();
            foreach (var g in groups) w.WriteLine($"   {g.Count(),5}× {g.Key}");
            foreach (var g in groups.Take(_o.ExamplesPerClass))
            {
                var first = g.OrderBy(o => o.Recipe.Mutations.Count).ThenBy(o => o.StdinBytes).First();
                var (shown, from) = verdict == Verdict.Hang ? (first, first.Recipe.Mutations.Count) : Shrink(first, ref shrinkLeft);
                w.WriteLine();
                w.WriteLine($"   -- {g.Key}");
                WriteReproducer(shown, from);
            }
        }
        foreach (var e in _harnessErrors.Take(5)) w.WriteLine($"!! harness error: {e}");
        if (!_harnessErrors.IsEmpty) w.WriteLine($"!! {_harnessErrors.Count} harness errors");

        var report = new FuzzReport(all.Count + _harnessErrors.Count, all.Count(o => o.Judgement.Verdict == Verdict.InternalError),
            all.Count(o => o.Judgement.Verdict == Verdict.Hang), all.Count(o => o.Judgement.Verdict == Verdict.WrongSuccess), _harnessErrors.Count, elapsed);
        w.WriteLine();
        w.WriteLine(report.LastLine);
        return report;
    }

    /// <summary>Drops mutations one by one while the case still shows the same finding; returns the smallest case seen.</summary>
    private (CaseOutcome Outcome, int From) Shrink(CaseOutcome finding, ref int budget)
    {
        var keep = Enumerable.Range(0, finding.Recipe.Mutations.Count).ToList();
        var best = RunCase(finding.Recipe, keep, keepOutput: true);
        budget--;
        if (best.Judgement.Signature != finding.Judgement.Signature) best = finding; // not reproducible now: show what was seen
        for (var i = keep.Count - 1; i >= 0 && budget > 0 && keep.Count > 0; i--)
        {
            var fewer = keep.Where(k => k != keep[i]).ToList();
            var again = RunCase(finding.Recipe, fewer, keepOutput: true);
            budget--;
            if (again.Judgement.Verdict == finding.Judgement.Verdict && again.Judgement.Signature == finding.Judgement.Signature)
            {
                keep = fewer;
                best = again;
            }
        }
        return (best, finding.Recipe.Mutations.Count);
    }

    private void WriteReproducer(CaseOutcome o, int mutationsBefore)
    {
        var w = _output;
        // Rebuilt only to print it: the same recipe gives the same env and stdin (paths of this case's own files differ).
        var c = CaseGenerator.Build(_world, o.Recipe);
        w.WriteLine($"      case #{o.Recipe.Number} of seed {_o.Seed}: {o.Command}, feature {o.Feature.ToString().ToLowerInvariant()}; " +
            (o.Recipe.Mutations.Count < mutationsBefore ? $"shrunk from {mutationsBefore} to {o.Recipe.Mutations.Count} mutations: " : "") +
            (c.Labels.Count == 0 ? "no mutation (a valid call)" : string.Join("; ", c.Labels)));
        w.WriteLine("      env: " + string.Join(" ", c.Env.Where(kv => kv.Key.StartsWith("CNI_", StringComparison.Ordinal))
            .Select(kv => $"{kv.Key}={CaseGenerator.Show(kv.Value, 100)}")
            .Concat(c.RawEnv.Select(kv => $"{kv.Key}=bytes {Convert.ToHexString(kv.Value)}"))
            .Concat(c.HarnessEnv.Select(kv => $"{kv.Key}={kv.Value} (harness: a heap limit)"))));
        foreach (var (path, file) in c.Files)
            w.WriteLine($"      file {path}: {(file.Kind == CaseFileKind.Regular ? Bytes(file.Content, 300) : file.Kind.ToString().ToLowerInvariant())}");
        w.WriteLine($"      stdin ({c.Stdin.Length} bytes): {Bytes(c.Stdin, 900)}");
        if (o.Invalid.Count > 0) w.WriteLine("      oracle: " + string.Join("; ", o.Invalid.Take(3)));
        w.WriteLine($"      => {(o.ExitCode is { } e ? $"exit {e}" : "killed at the hang limit")} after {o.Elapsed.TotalSeconds:0.00} s; stdout: " +
            (string.IsNullOrEmpty(o.Stdout) ? "(empty)" : Indent(o.Stdout)));
        if (!string.IsNullOrWhiteSpace(o.Stderr)) w.WriteLine($"         stderr: {Indent(o.Stderr)}");
        try { if (Directory.Exists(c.CaseDir)) Directory.Delete(c.CaseDir, recursive: true); } catch (IOException) { }
    }

    private static string Mutations(CaseOutcome o) => o.Labels.Count == 0 ? "no mutation (a valid call)" : string.Join("; ", o.Labels);

    private static string Indent(string s) => s.TrimEnd().Replace("\n", "\n         ");

    /// <summary>Bytes for a reproducer: printable ASCII as is, the rest as \xNN; long ones keep their start and end.</summary>
    private static string Bytes(byte[] b, int max)
    {
        string Render(ReadOnlySpan<byte> span)
        {
            var sb = new StringBuilder();
            foreach (var x in span)
                sb.Append(x switch { (byte)'\n' => "\\n", (byte)'\\' => "\\\\", >= 0x20 and < 0x7f => ((char)x).ToString(), _ => $"\\x{x:x2}" });
            return sb.ToString();
        }
        if (b.Length <= max) return Render(b);
        return Render(b.AsSpan(0, max * 2 / 3)) + $" …({b.Length - max} bytes)… " + Render(b.AsSpan(b.Length - max / 3));
    }
}

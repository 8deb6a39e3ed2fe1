namespace EipCni.Node;

/// <summary>One sweep pass: every EIP of the cluster with its verdict, and what it cost.</summary>
public sealed record SweepReport(IReadOnlyList<SweepVerdict> Verdicts, bool DryRun, string? ApiError, int Describes, int Mutations, TimeSpan Took)
{
    public int Released => Verdicts.Count(v => v.Outcome == SweepOutcomes.Released);
    public int Kept => Verdicts.Count(v => v.Outcome?.StartsWith(SweepOutcomes.KeptPrefix, StringComparison.Ordinal) == true);
    public int Failed => Verdicts.Count(v => v.Outcome?.StartsWith(SweepOutcomes.FailedPrefix, StringComparison.Ordinal) == true);

    public override string ToString() =>
        $"cluster sweep{(DryRun ? " (dry run)" : "")}: {Verdicts.Count} EIP(s) of this cluster; " +
        string.Join(", ", Verdicts.GroupBy(v => v.Action).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}")) +
        (DryRun ? "" : $"; {Released} released, {Kept} kept for their pod, {Failed} failed") +
        $"; {Describes} describe and {Mutations} mutating call(s) in {Took.TotalSeconds:0.0} s" +
        (ApiError is null ? "" : $"; the API server could not be read ({ApiError}), so only expired kept EIPs were judged");
}

namespace EipCni.Node;

/// <summary>The outcome texts of <see cref="SweepVerdict.Outcome"/>.</summary>
public static class SweepOutcomes
{
    public const string Released = "released";
    public const string KeptPrefix = "kept";
    public const string FailedPrefix = "failed: ";
    public const string SkippedPrefix = "skipped: ";
    public const string Gone = "gone already";
}

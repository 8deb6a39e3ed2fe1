namespace EipCni.Eip;

/// <summary>What one GC pass over a network's journal did: records looked at, given back, left pending, and why some failed.</summary>
public sealed record GcReport(int Examined, int GivenBack, int Pending, IReadOnlyList<GcFailure> Failures);

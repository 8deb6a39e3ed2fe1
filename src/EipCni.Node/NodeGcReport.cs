using EipCni.Eip;

namespace EipCni.Node;

/// <summary>One node GC pass: whether the API server said which pods live here, and what each network's GC did.</summary>
public sealed record NodeGcReport(bool PodsListed, string? ApiError, IReadOnlyList<(string Network, GcReport Report)> Networks)
{
    public int Examined => Networks.Sum(n => n.Report.Examined);
    public int GivenBack => Networks.Sum(n => n.Report.GivenBack);
    public int Pending => Networks.Sum(n => n.Report.Pending);
    public IEnumerable<GcFailure> Failures => Networks.SelectMany(n => n.Report.Failures);

    public override string ToString() =>
        $"node gc: {Examined} record(s), {GivenBack} given back, {Failures.Count()} not finished" +
        (ApiError is null ? "" : $"; the API server could not say which pods live here ({ApiError}), so only pending work was done");
}

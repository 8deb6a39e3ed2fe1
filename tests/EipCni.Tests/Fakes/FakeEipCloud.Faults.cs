namespace EipCni.Tests.Fakes;

/// <summary>How a scripted fault treats a call.</summary>
public enum FaultKind
{
    /// <summary>Refuse before doing anything, with the given code and HTTP status (0 = no answer).</summary>
    Fail,

    /// <summary>Do the work, then lose the answer: the caller sees RequestTimeout (no answer), the cloud changed.</summary>
    LoseAnswer,

    /// <summary>
    /// No answer now; the work is done once the clock has moved by the fault's delay. Meanwhile a call with the same
    /// ClientToken answers LastTokenProcessing.
    /// </summary>
    CommitLate,
}

public sealed partial class FakeEipCloud
{
    private readonly List<Fault> _faults = [];

    private sealed class Fault
    {
        public required string Action { get; init; }
        public string? AllocationId { get; init; }
        public required FaultKind Kind { get; init; }
        public string Code { get; init; } = "";
        public int HttpStatus { get; init; }
        public TimeSpan Delay { get; init; }
        public int Remaining { get; set; }
    }

    /// <summary>
    /// The next <paramref name="times"/> calls of <paramref name="action"/> (on <paramref name="allocationId"/>, when
    /// given) are refused with <paramref name="code"/> and <paramref name="httpStatus"/> (0: no answer came back).
    /// </summary>
    public void Fail(string action, string code, int httpStatus = 400, int times = 1, string? allocationId = null) =>
        Add(new Fault { Action = action, AllocationId = allocationId, Kind = FaultKind.Fail, Code = code, HttpStatus = httpStatus, Remaining = times });

    /// <summary>Like <see cref="Fail"/> for every call until <see cref="ClearFaults"/>.</summary>
    public void FailAlways(string action, string code, int httpStatus = 400, string? allocationId = null) =>
        Fail(action, code, httpStatus, int.MaxValue, allocationId);

    /// <summary>The next <paramref name="times"/> calls of <paramref name="action"/> take effect but their answer is lost.</summary>
    public void LoseAnswer(string action, int times = 1, string? allocationId = null) =>
        Add(new Fault { Action = action, AllocationId = allocationId, Kind = FaultKind.LoseAnswer, Remaining = times });

    /// <summary>The next call of <paramref name="action"/> gets no answer and takes effect <paramref name="after"/> later on the clock.</summary>
    public void CommitLate(string action, TimeSpan after, string? allocationId = null) =>
        Add(new Fault { Action = action, AllocationId = allocationId, Kind = FaultKind.CommitLate, Delay = after, Remaining = 1 });

    public void ClearFaults()
    {
        lock (_gate) _faults.Clear();
    }

    private void Add(Fault fault)
    {
        lock (_gate) _faults.Add(fault);
    }

    private Fault? TakeFault(string action, string? allocationId)
    {
        var fault = _faults.FirstOrDefault(f => f.Remaining > 0 && f.Action == action && (f.AllocationId is null || f.AllocationId == allocationId));
        if (fault is null) return null;
        fault.Remaining--;
        return fault;
    }
}

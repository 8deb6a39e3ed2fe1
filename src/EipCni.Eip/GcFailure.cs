using EipCni.State;

namespace EipCni.Eip;

/// <summary>A record GC could not finish: its attachment, what stopped it, and the cloud's (or the budget's) answer.</summary>
public sealed record GcFailure(AttachmentKey Key, string Summary, Exception? Cause)
{
    public override string ToString() => $"{Key}: {Summary}" + (Cause is null || Summary == EngineCore.ErrorText(Cause) ? "" : $" ({EngineCore.ErrorText(Cause)})");
}

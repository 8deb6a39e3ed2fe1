namespace EipCni.Eip;

/// <summary>The outcome of <c>SettleAsync</c>: where it got, a summary for the log, and the cloud's answer that stopped it.</summary>
public sealed record Settlement(SettleState State, string Summary, Exception? Cause = null);

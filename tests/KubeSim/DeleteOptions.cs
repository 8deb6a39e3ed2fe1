namespace KubeSim;

/// <summary>The parts of DeleteOptions the simulator honours.</summary>
public sealed record DeleteOptions(long? GracePeriodSeconds, string? PreconditionUid, string? PreconditionResourceVersion);

namespace EipCni.Node;

/// <summary>
/// What an install or uninstall did: empty <see cref="Changes"/> means nothing was written at all (not even a temporary
/// file), which is what keeps the run mode from reacting to its own writes.
/// </summary>
public sealed record InstallOutcome(IReadOnlyList<InstallChange> Changes, IReadOnlyList<string> Warnings)
{
    /// <summary>The config file the runtime loads after the call (install only; null for uninstall).</summary>
    public string? ActiveConfig { get; init; }

    public bool Changed => Changes.Count > 0;
}

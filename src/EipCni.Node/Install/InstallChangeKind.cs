namespace EipCni.Node;

/// <summary>What kind of change an <see cref="InstallChange"/> is.</summary>
public enum InstallChangeKind
{
    /// <summary>A binary copied into the CNI bin dir (new or different).</summary>
    BinaryCopied,

    /// <summary>A binary removed from the CNI bin dir.</summary>
    BinaryRemoved,

    /// <summary>The eip-cni entry added to a conflist, updated, or moved to the end.</summary>
    EntryWritten,

    /// <summary>A single-plugin <c>.conf</c>/<c>.json</c> turned into a <c>.conflist</c> (the original kept aside).</summary>
    ConfConverted,

    /// <summary>The eip-cni entry removed from a conflist.</summary>
    EntryRemoved,

    /// <summary>A converted <c>.conf</c>/<c>.json</c> put back and its <c>.conflist</c> removed.</summary>
    ConfRestored,
}

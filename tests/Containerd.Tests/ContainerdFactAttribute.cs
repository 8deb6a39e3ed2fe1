using CriClient;

namespace ContainerdTests;

/// <summary>A test that needs a real containerd: skipped, with the reason, on a host where it cannot run.</summary>
public sealed class ContainerdFactAttribute : FactAttribute
{
    public ContainerdFactAttribute()
    {
        if (Containerd.UnavailableReason() is { } why) Skip = why;
        Timeout = 100_000; // every test here must end well inside two minutes, whatever containerd does
    }
}

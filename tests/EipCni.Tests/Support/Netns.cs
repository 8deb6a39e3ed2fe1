namespace EipCni.Tests.Support;

/// <summary>An extra network namespace (another pod's sandbox on the same chain); removed on Dispose.</summary>
public sealed class Netns : IDisposable
{
    public Netns()
    {
        Name = "eipx-" + Guid.NewGuid().ToString("N")[..10];
        var r = ProcessRunner.Run("ip", ["netns", "add", Name]);
        if (r.ExitCode != 0) throw new InvalidOperationException("ip netns add failed (the e2e tests need root): " + r.Stderr);
    }

    public string Name { get; }
    public string Path => "/var/run/netns/" + Name;

    public void Dispose() => ProcessRunner.Run("ip", ["netns", "del", Name]);
}

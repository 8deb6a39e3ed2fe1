namespace EipCni.Tests.Support;

/// <summary>Another user on the node (uid 65534), as root can make files and directories look.</summary>
public static class Nobody
{
    /// <summary>chown -h 65534:65534: the path (not a link's target) now belongs to nobody.</summary>
    public static void Owns(string path)
    {
        var r = ProcessRunner.Run("chown", ["-h", "65534:65534", path]);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }
}

namespace EipCni.Cni;

/// <summary>The CNI spec versions this chained plugin speaks, and the minimum version per verb.</summary>
public static class CniVersion
{
    public static readonly string[] Supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public const string Latest = "1.1.0";

    public static bool IsSupported(string version) => Array.IndexOf(Supported, version) >= 0;

    /// <summary>Compares two dotted versions numerically; false when either is not a plain x.y.z.</summary>
    public static bool AtLeast(string version, string minimum)
    {
        if (!TryParse(version, out var a) || !TryParse(minimum, out var b)) return false;
        return a.CompareTo(b) >= 0;
    }

    private static bool TryParse(string s, out (int, int, int) v)
    {
        v = default;
        var parts = s.Split('.');
        if (parts.Length != 3) return false;
        if (!int.TryParse(parts[0], out var x) || !int.TryParse(parts[1], out var y) || !int.TryParse(parts[2], out var z)) return false;
        v = (x, y, z);
        return true;
    }

    /// <summary>Lowest spec version that defines a verb.</summary>
    public static string MinimumFor(CniCommand command) => command switch
    {
        CniCommand.Check => "0.4.0",
        CniCommand.Gc or CniCommand.Status => "1.1.0",
        _ => "0.3.0",
    };
}

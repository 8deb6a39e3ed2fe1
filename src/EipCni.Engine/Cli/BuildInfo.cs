namespace EipCni.Cli;

/// <summary>Version of this build.</summary>
public static class BuildInfo
{
    public const string Version = "0.1.0";
}

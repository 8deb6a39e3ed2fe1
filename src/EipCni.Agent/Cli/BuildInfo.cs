using System.Reflection;

namespace EipCni.Cli;

/// <summary>Version of this build: Directory.Build.props' Version, plus the commit when the SDK knows it.</summary>
public static class BuildInfo
{
    public static string Version { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}

using EipCni.Tests.Support;

namespace EipCni.Tests.Cni;

/// <summary>NativeAOT publish of eip-cni must be free of trim and AOT warnings (they are bugs waiting for run time).</summary>
public class AotPublishTests
{
    [Fact]
    public void Publish_emits_zero_trim_or_aot_warnings()
    {
        using var dir = new TempDir("eipcni-aot");
        // A full rebuild: an up-to-date incremental publish would print no warnings even if there were some.
        var r = ProcessRunner.Run("dotnet", ["msbuild", "src/EipCni/EipCni.csproj", "-restore", "-t:Rebuild;Publish", "-p:Configuration=Release",
            "-p:PublishDir=" + dir.Path + "/", "-p:TreatWarningsAsErrors=false", "-p:TrimmerSingleWarn=false", "-nologo", "-v:m"], timeout: TimeSpan.FromMinutes(10));
        var output = r.Stdout + r.Stderr;
        Assert.True(r.ExitCode == 0, output);
        Assert.DoesNotContain("warning IL", output);
        Assert.DoesNotContain("AOT analysis warning", output);
        Assert.DoesNotContain(": warning ", output);
        var binary = new FileInfo(Path.Combine(dir.Path, "eip-cni"));
        Assert.True(binary.Exists);
        Assert.True(binary.Length <= 12 * 1024 * 1024, $"eip-cni is {binary.Length} bytes; the budget is 12 MB");
    }
}

using EipCni.Tests.Support;

namespace EipCni.Tests.Cni;

/// <summary>NativeAOT publish of both binaries must be free of trim and AOT warnings (they are bugs waiting for run time).</summary>
public class AotPublishTests
{
    [Theory]
    [InlineData("EipCni", "eip-cni", 6)]                 // the hot path: every pod runs it, so it stays small
    [InlineData("EipCni.Agent", "eip-cni-agent", 16)] // data not dehydrated (src/NativeAot.props): faster start, bigger file
    public void Publish_emits_zero_trim_or_aot_warnings(string project, string binary, int budgetMb)
    {
        using var dir = new TempDir("eipcni-aot");
        // A full rebuild: an up-to-date incremental publish would print no warnings even if there were some.
        var r = ProcessRunner.Run("dotnet", ["msbuild", $"src/{project}/{project}.csproj", "-restore", "-t:Rebuild;Publish", "-p:Configuration=Release",
            "-p:PublishDir=" + dir.Path + "/", "-p:TreatWarningsAsErrors=false", "-p:TrimmerSingleWarn=false", "-nologo", "-v:m"], timeout: TimeSpan.FromMinutes(10));
        var output = r.Stdout + r.Stderr;
        Assert.True(r.ExitCode == 0, output);
        Assert.DoesNotContain("warning IL", output);
        Assert.DoesNotContain("AOT analysis warning", output);
        Assert.DoesNotContain(": warning ", output);
        var file = new FileInfo(Path.Combine(dir.Path, binary));
        Assert.True(file.Exists);
        Assert.True(file.Length <= budgetMb * 1024L * 1024, $"{binary} is {file.Length} bytes; the budget is {budgetMb} MB");
    }
}

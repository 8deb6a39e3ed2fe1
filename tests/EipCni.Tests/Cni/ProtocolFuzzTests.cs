extern alias fuzz;
using fuzz::CniFuzzer;
using Xunit.Abstractions;

namespace EipCni.Tests.Cni;

/// <summary>The fuzzer runs alone, after the parallel test classes: it starts eight plugin processes at a time.</summary>
[CollectionDefinition("protocol fuzz", DisableParallelization = true)]
public sealed class ProtocolFuzzCollection;

/// <summary>
/// "Hardened against hostile input": 2,000 seeded hostile calls (tests/CniFuzzer, also scripts/fuzz.sh) against the
/// published binary, with the EIP feature off, on against the cloud simulator and on against a refusing port; no call
/// may end in code 999 or without one CNI error object, hang, or succeed on input known to be invalid.
/// </summary>
[Collection("protocol fuzz")]
public class ProtocolFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_thousand_hostile_calls_end_without_internal_error_hang_or_wrong_success()
    {
        var text = new StringWriter();
        var report = Fuzzer.Run(new FuzzOptions { Cases = 2000, Seed = 7, Parallel = 8 }, text);
        output.WriteLine(text.ToString());

        Assert.True(report.LastLine == "2000 cases, 0 internal-errors, 0 hangs, 0 wrong-success", $"{report.LastLine}\n\n{text}");
        Assert.True(report.Passed, $"harness errors {report.HarnessErrors}\n\n{text}");
    }
}

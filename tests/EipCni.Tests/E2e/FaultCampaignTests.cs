extern alias campaign;
using campaign::FaultCampaign;
using Xunit.Abstractions;

namespace EipCni.Tests.E2e;

/// <summary>The campaign runs alone, after the parallel test classes: it owns the machine's two cores for its timing.</summary>
[CollectionDefinition("fault campaign", DisableParallelization = true)]
public sealed class FaultCampaignCollection;

/// <summary>
/// "Nothing forgotten, nothing misbound": a 200-lifecycle seeded fault campaign (tests/FaultCampaign, also
/// scripts/soak.sh) through the real libcni chain; every figure of its last line must be 0.
/// </summary>
[Collection("fault campaign")]
public class FaultCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_hundred_faulted_pod_lifecycles_leave_nothing_leaked_misbound_stuck_undeleted_or_crashed()
    {
        var text = new StringWriter();
        var report = Campaign.Run(new CampaignOptions { Lifecycles = 200, Seed = 7, Workers = 6 }, text);
        output.WriteLine(text.ToString());

        Assert.True(report.LastLine == "200 lifecycles, 0 leaked, 0 misbound, 0 stuck, 0 del-failures, 0 crashes", $"{report.LastLine}\n\n{text}");
        Assert.True(report.Passed, $"secrets {report.Secrets}, log defects {report.LogDefects}, harness errors {report.HarnessErrors}\n\n{text}");
    }
}

using FaultCampaign;

// scripts/soak.sh runs this: a seeded fault campaign through the real libcni chain against both simulators.
// The last line is "N lifecycles, L leaked, M misbound, S stuck, D del-failures, C crashes"; exit 0 only if all is 0.
CampaignOptions options;
try
{
    options = CampaignOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"FaultCampaign: {e.Message}\n{CampaignOptions.Usage}");
    return 2;
}
var report = Campaign.Run(options, Console.Out);
return report.Passed ? 0 : 1;

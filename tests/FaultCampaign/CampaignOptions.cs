using System.Globalization;

namespace FaultCampaign;

/// <summary>What one campaign runs: how many pod lifecycles, the seed of every random choice, and the node's knobs.</summary>
public sealed record CampaignOptions
{
    public int Lifecycles { get; init; } = 1000;
    public int Seed { get; init; } = 1;
    /// <summary>Concurrent pod workers (kubelet starting several pods at once); each sandbox gets its own netns.</summary>
    public int Workers { get; init; } = 6;
    /// <summary>Small budgets keep a faulted call short (NetConf allows 5..200 and 1..110).</summary>
    public int AddTimeoutSeconds { get; init; } = 6;
    public int DelTimeoutSeconds { get; init; } = 4;
    public int AssociateMs { get; init; } = 150;
    public int UnassociateMs { get; init; } = 150;
    public int ReleaseMs { get; init; } = 300;
    /// <summary>host-local's range: 8 of the primary ENI's secondary IPs, so an IP freed by DEL goes to the next pod quickly.</summary>
    public string RangeStart { get; init; } = "10.250.0.2";
    public string RangeEnd { get; init; } = "10.250.0.9";
    /// <summary>New sandboxes kubelet tries for one pod before the campaign gives up on it (not a violation, just reported).</summary>
    public int MaxAttempts { get; init; } = 6;
    /// <summary>The runtime's deadline for a call that is not meant to be killed (containerd's is minutes).</summary>
    public int RuntimeDeadlineMs { get; init; } = 120_000;

    public const string Usage = "usage: FaultCampaign [--lifecycles N] [--seed S] [--workers W]";

    public static CampaignOptions Parse(string[] args)
    {
        var o = new CampaignOptions();
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"{args[i]} needs a positive number");
            o = args[i] switch
            {
                "--lifecycles" => o with { Lifecycles = Next() },
                "--seed" => o with { Seed = Next() },
                "--workers" => o with { Workers = Next() },
                var x => throw new ArgumentException($"unknown argument {x}"),
            };
        }
        return o;
    }
}

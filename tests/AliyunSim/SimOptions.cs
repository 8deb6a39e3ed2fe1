using System.Globalization;

namespace AliyunSim;

/// <summary>Command-line flags (see README.md).</summary>
public sealed record SimOptions
{
    public string Listen { get; init; } = "127.0.0.1:0";
    public string? SeedPath { get; init; }
    public int AssociateMs { get; init; } = 1000;
    public int UnassociateMs { get; init; } = 1000;
    public int ReleaseMs { get; init; } = 500;
    public bool Throttle { get; init; } = true;
    public int LatencyMs { get; init; }
    public bool HardenedMetadata { get; init; }

    public const string Usage =
        "usage: AliyunSim --listen HOST:PORT [--seed FILE] [--associate-ms N] [--unassociate-ms N] [--release-ms N] " +
        "[--throttle real|off] [--latency-ms N] [--hardened-metadata]";

    public static SimOptions Parse(string[] args)
    {
        var o = new SimOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Ms() { var raw = Value(); return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"not a number of milliseconds: {raw}"); }
            o = args[i] switch
            {
                "--listen" => o with { Listen = Value() },
                "--seed" => o with { SeedPath = Value() },
                "--associate-ms" => o with { AssociateMs = Ms() },
                "--unassociate-ms" => o with { UnassociateMs = Ms() },
                "--release-ms" => o with { ReleaseMs = Ms() },
                "--latency-ms" => o with { LatencyMs = Ms() },
                "--throttle" => o with { Throttle = Value() switch { "real" => true, "off" => false, var x => throw new ArgumentException($"--throttle real|off, not {x}") } },
                "--hardened-metadata" => o with { HardenedMetadata = true },
                var x => throw new ArgumentException($"unknown argument {x}"),
            };
        }
        return o;
    }
}

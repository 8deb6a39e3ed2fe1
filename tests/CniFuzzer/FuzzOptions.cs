using System.Globalization;

namespace CniFuzzer;

/// <summary>What one fuzz run does: how many cases, the seed every case is drawn from, and how many run at once.</summary>
public sealed record FuzzOptions
{
    public int Cases { get; init; } = 5000;
    public int Seed { get; init; } = 1;
    /// <summary>Cases in flight at once; most wait on a process, a simulator or a timeout, so more than the cores.</summary>
    public int Parallel { get; init; } = 8;
    /// <summary>Reproducers printed per finding class, one per signature (each shrunk to the fewest mutations that still show it).</summary>
    public int ExamplesPerClass { get; init; } = 8;
    /// <summary>Re-runs spent shrinking reproducers; 0 prints them as drawn.</summary>
    public int ShrinkBudget { get; init; } = 60;
    /// <summary>Runs only this case of the seed and prints it, whatever its outcome (to replay a reproducer).</summary>
    public int? Case { get; init; }

    public const string Usage = "usage: CniFuzzer [--cases N] [--seed S] [--parallel P] [--case N]";

    public static FuzzOptions Parse(string[] args)
    {
        var o = new FuzzOptions();
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"{args[i]} needs a positive number");
            o = args[i] switch
            {
                "--cases" => o with { Cases = Next() },
                "--seed" => o with { Seed = Next() },
                "--parallel" => o with { Parallel = Next() },
                "--case" => o with { Case = Next() },
                var x => throw new ArgumentException($"unknown argument {x}"),
            };
        }
        return o;
    }
}

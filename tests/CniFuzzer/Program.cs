using CniFuzzer;

// scripts/fuzz.sh runs this: seeded hostile input against the published eip-cni.
// The last line is "N cases, C internal-errors, H hangs, W wrong-success"; exit 0 only if C, H and W are 0.
FuzzOptions options;
try
{
    options = FuzzOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"CniFuzzer: {e.Message}\n{FuzzOptions.Usage}");
    return 2;
}
var report = Fuzzer.Run(options, Console.Out);
return report.Passed ? 0 : 1;

using System.Globalization;
using System.Net;

namespace KubeSim;

/// <summary>Command-line options; see README.md for each.</summary>
public sealed record SimOptions(IPEndPoint Listen, string? Seed, string? Dir, int MinTokenSeconds, int TokenLeewaySeconds,
    TimeSpan BookmarkInterval, int WatchHistory, bool AutoServiceAccounts)
{
    public const string Usage =
        "usage: --listen IP:PORT [--seed FILE] [--dir DIR] [--min-token-seconds N] [--token-leeway-seconds N] [--bookmark-seconds S] " +
        "[--watch-history N] [--service-accounts auto|explicit]";

    public static SimOptions? Parse(string[] args)
    {
        // Defaults are the real apiserver's: a 10-minute TokenRequest minimum, go-jose's 1-minute leeway, a bookmark a minute, a 1000-change history.
        var options = new SimOptions(new IPEndPoint(IPAddress.Loopback, 0), null, null, 600, 60, TimeSpan.FromSeconds(60), 1000, true);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (i + 1 >= args.Length) return Fail($"{arg} needs a value");
            var text = args[++i];
            switch (arg)
            {
                case "--listen":
                    if (!IPEndPoint.TryParse(text, out var ep)) return Fail($"--listen {text}: expected IP:PORT");
                    options = options with { Listen = ep };
                    break;
                case "--seed": options = options with { Seed = text }; break;
                case "--dir": options = options with { Dir = text }; break;
                case "--min-token-seconds" when int.TryParse(text, out var min) && min >= 1:
                    options = options with { MinTokenSeconds = min };
                    break;
                case "--token-leeway-seconds" when int.TryParse(text, out var leeway) && leeway >= 0:
                    options = options with { TokenLeewaySeconds = leeway };
                    break;
                case "--bookmark-seconds" when double.TryParse(text, CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    options = options with { BookmarkInterval = TimeSpan.FromSeconds(seconds) };
                    break;
                case "--watch-history" when int.TryParse(text, out var history) && history >= 1:
                    options = options with { WatchHistory = history };
                    break;
                case "--service-accounts" when text is "auto" or "explicit":
                    options = options with { AutoServiceAccounts = text == "auto" };
                    break;
                default:
                    return Fail($"bad argument {arg} {text}");
            }
        }
        return options;
    }

    private static SimOptions? Fail(string why)
    {
        Console.Error.WriteLine($"kubesim: {why}; {Usage}");
        return null;
    }
}

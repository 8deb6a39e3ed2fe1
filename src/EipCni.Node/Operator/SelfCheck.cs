namespace EipCni.Node;

/// <summary>One line of <c>eip-cni-agent status</c>: a precondition of ADD, what was found, and on failure how to fix it.</summary>
public sealed record SelfCheck(bool Ok, string Check, string Detail, string? Fix = null)
{
    public static SelfCheck Pass(string check, string detail) => new(true, check, detail);

    public static SelfCheck Fail(string check, string detail, string fix) => new(false, check, detail, fix);

    /// <summary><c>OK|FAIL  check  detail</c>, then <c>      fix: ...</c> on a failure.</summary>
    public static string Format(IEnumerable<SelfCheck> checks)
    {
        var list = checks.ToList();
        var width = list.Count == 0 ? 0 : list.Max(c => c.Check.Length);
        var text = new System.Text.StringBuilder();
        foreach (var c in list)
        {
            text.Append(c.Ok ? "OK  " : "FAIL").Append("  ").Append(c.Check.PadRight(width)).Append("  ").Append(c.Detail).Append('\n');
            if (!c.Ok && c.Fix is not null) text.Append("      fix: ").Append(c.Fix).Append('\n');
        }
        return text.ToString();
    }
}

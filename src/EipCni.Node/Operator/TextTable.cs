using System.Text;

namespace EipCni.Node;

/// <summary>Columns padded to their widest cell, two spaces apart, as kubectl prints them.</summary>
public static class TextTable
{
    public static string Format(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            for (var i = 0; i < row.Count; i++)
                text.Append(i == row.Count - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>kubectl's AGE: the two largest units (<c>45s</c>, <c>3m12s</c>, <c>5h3m</c>, <c>2d4h</c>).</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        if (age.TotalMinutes < 1) return $"{(int)age.TotalSeconds}s";
        if (age.TotalHours < 1) return age.Seconds == 0 ? $"{age.Minutes}m" : $"{age.Minutes}m{age.Seconds}s";
        if (age.TotalDays < 1) return age.Minutes == 0 ? $"{age.Hours}h" : $"{age.Hours}h{age.Minutes}m";
        return age.Hours == 0 ? $"{(int)age.TotalDays}d" : $"{(int)age.TotalDays}d{age.Hours}h";
    }
}

using System.Globalization;
using System.Text;

namespace EipCni.Node;

/// <summary>
/// One metric name with its HELP, TYPE and series. Writes the text exposition format 0.0.4: names
/// <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>, label values with <c>\\</c>, <c>\"</c> and <c>\n</c> escaped, HELP with <c>\\</c>
/// and <c>\n</c> escaped, values as Go's ParseFloat reads them (<c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>).
/// </summary>
public abstract class MetricFamily
{
    private protected readonly object Gate = new();

    private protected MetricFamily(string name, string help, string type, string[] labelNames)
    {
        if (!IsName(name, colon: true)) throw new ArgumentException($"\"{name}\" is not a metric name", nameof(name));
        foreach (var label in labelNames)
            if (!IsName(label, colon: false) || label.StartsWith("__", StringComparison.Ordinal) || label == "le")
                throw new ArgumentException($"\"{label}\" is not a label name for {name}", nameof(labelNames));
        Name = name;
        Help = help;
        Type = type;
        LabelNames = labelNames;
    }

    public string Name { get; }
    public string Help { get; }
    public string Type { get; }
    public IReadOnlyList<string> LabelNames { get; }

    internal void WriteTo(StringBuilder text)
    {
        text.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(Help)).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(' ').Append(Type).Append('\n');
        lock (Gate) WriteSeries(text);
    }

    private protected abstract void WriteSeries(StringBuilder text);

    private protected LabelValues Key(string[] values)
    {
        if (values.Length != LabelNames.Count)
            throw new ArgumentException($"{Name} has {LabelNames.Count} label(s) ({string.Join(", ", LabelNames)}), got {values.Length} value(s)");
        return new LabelValues(values);
    }

    /// <summary><c>{a="x",b="y"}</c>, with <paramref name="extra"/> (a histogram's <c>le</c>) last; nothing when there are no labels.</summary>
    private protected void AppendLabels(StringBuilder text, LabelValues values, (string Name, string Value)? extra = null)
    {
        if (LabelNames.Count == 0 && extra is null) return;
        text.Append('{');
        for (var i = 0; i < LabelNames.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(LabelNames[i]).Append("=\"").Append(EscapeLabel(values.Values[i])).Append('"');
        }
        if (extra is { } e)
        {
            if (LabelNames.Count > 0) text.Append(',');
            text.Append(e.Name).Append("=\"").Append(EscapeLabel(e.Value)).Append('"');
        }
        text.Append('}');
    }

    public static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    public static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static bool IsName(string name, bool colon) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || (colon && c == ':'));

    /// <summary>A series' label values: compared by content, ordered for a stable exposition.</summary>
    private protected readonly record struct LabelValues(string[] Values) : IComparable<LabelValues>
    {
        public bool Equals(LabelValues other) => Values.AsSpan().SequenceEqual(other.Values);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var v in Values) hash.Add(v, StringComparer.Ordinal);
            return hash.ToHashCode();
        }

        public int CompareTo(LabelValues other)
        {
            for (var i = 0; i < Values.Length; i++)
                if (string.CompareOrdinal(Values[i], other.Values[i]) is var c and not 0) return c;
            return 0;
        }
    }
}

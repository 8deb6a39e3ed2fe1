using System.Text;

namespace EipCni.Node;

/// <summary>A value that only goes up (since the agent started); one series per set of label values.</summary>
public sealed class Counter : MetricFamily
{
    private readonly Dictionary<LabelValues, double> _series = [];

    internal Counter(string name, string help, string[] labelNames) : base(name, help, "counter", labelNames)
    {
        if (labelNames.Length == 0) _series[new LabelValues([])] = 0; // a counter without labels is there from the start
    }

    public void Inc(params string[] labels) => Add(1, labels);

    public void Add(double amount, params string[] labels)
    {
        if (amount < 0 || double.IsNaN(amount)) throw new ArgumentOutOfRangeException(nameof(amount), "a counter only goes up");
        var key = Key(labels);
        lock (Gate) _series[key] = _series.GetValueOrDefault(key) + amount;
    }

    /// <summary>The current value of one series (0 when it was never incremented).</summary>
    public double Value(params string[] labels)
    {
        var key = Key(labels);
        lock (Gate) return _series.GetValueOrDefault(key);
    }

    private protected override void WriteSeries(StringBuilder text)
    {
        foreach (var (labels, value) in _series.OrderBy(s => s.Key))
        {
            text.Append(Name);
            AppendLabels(text, labels);
            text.Append(' ').Append(FormatValue(value)).Append('\n');
        }
    }
}

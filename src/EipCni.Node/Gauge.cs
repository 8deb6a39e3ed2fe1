using System.Text;

namespace EipCni.Node;

/// <summary>A value that goes up and down; <see cref="Replace"/> swaps every series at once (gauges mirroring a listing).</summary>
public sealed class Gauge : MetricFamily
{
    private Dictionary<LabelValues, double> _series = [];

    internal Gauge(string name, string help, string[] labelNames) : base(name, help, "gauge", labelNames)
    {
    }

    public void Set(double value, params string[] labels)
    {
        var key = Key(labels);
        lock (Gate) _series[key] = value;
    }

    /// <summary>Exactly these series from now on: a label set that no longer occurs disappears from the exposition.</summary>
    public void Replace(IEnumerable<(string[] Labels, double Value)> series)
    {
        var fresh = new Dictionary<LabelValues, double>();
        foreach (var (labels, value) in series) fresh[Key(labels)] = value;
        lock (Gate) _series = fresh;
    }

    public double? Value(params string[] labels)
    {
        var key = Key(labels);
        lock (Gate) return _series.TryGetValue(key, out var v) ? v : null;
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

using System.Text;

namespace EipCni.Node;

/// <summary>
/// Observations counted into cumulative <c>le</c> buckets (upper bounds, inclusive), with their sum and count; the
/// <c>+Inf</c> bucket is always there and equals the count.
/// </summary>
public sealed class Histogram : MetricFamily
{
    private readonly double[] _bounds;
    private readonly Dictionary<LabelValues, Series> _series = [];

    internal Histogram(string name, string help, double[] buckets, string[] labelNames) : base(name, help, "histogram", labelNames)
    {
        if (buckets.Length == 0 || buckets.Any(double.IsNaN) || buckets.Zip(buckets.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException($"the buckets of {name} must be increasing numbers", nameof(buckets));
        _bounds = double.IsPositiveInfinity(buckets[^1]) ? buckets[..^1] : buckets;
    }

    public void Observe(double value, params string[] labels)
    {
        var key = Key(labels);
        lock (Gate)
        {
            if (!_series.TryGetValue(key, out var series)) _series[key] = series = new Series(_bounds.Length);
            // Counted in its own bucket only; the exposition makes them cumulative.
            var i = Array.FindIndex(_bounds, b => value <= b);
            series.Buckets[i < 0 ? _bounds.Length : i]++;
            series.Sum += value;
            series.Count++;
        }
    }

    /// <summary>Observations of one series so far.</summary>
    public long Count(params string[] labels)
    {
        var key = Key(labels);
        lock (Gate) return _series.TryGetValue(key, out var s) ? s.Count : 0;
    }

    private protected override void WriteSeries(StringBuilder text)
    {
        foreach (var (labels, series) in _series.OrderBy(s => s.Key))
        {
            long cumulative = 0;
            for (var i = 0; i <= _bounds.Length; i++)
            {
                cumulative += series.Buckets[i];
                text.Append(Name).Append("_bucket");
                AppendLabels(text, labels, ("le", i < _bounds.Length ? FormatValue(_bounds[i]) : "+Inf"));
                text.Append(' ').Append(cumulative).Append('\n');
            }
            text.Append(Name).Append("_sum");
            AppendLabels(text, labels);
            text.Append(' ').Append(FormatValue(series.Sum)).Append('\n');
            text.Append(Name).Append("_count");
            AppendLabels(text, labels);
            text.Append(' ').Append(series.Count).Append('\n');
        }
    }

    private sealed class Series(int bounds)
    {
        public long[] Buckets { get; } = new long[bounds + 1];
        public double Sum { get; set; }
        public long Count { get; set; }
    }
}

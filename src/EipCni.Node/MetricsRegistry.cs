using System.Text;

namespace EipCni.Node;

/// <summary>
/// The agent's metrics, exposed in the Prometheus text format 0.0.4 (<see cref="Expose"/>): counters, gauges and
/// histograms, each a family of series told apart by label values. Hand-written rather than prometheus-net (which is
/// AOT-clean, but adds 1.8 MB to an image whose size every EIP call's start-up pays; docs/design.md, "Metrics").
/// Thread-safe: the log tail, the GC loops and the HTTP server's scrapes touch it at once.
/// </summary>
public sealed class MetricsRegistry
{
    private readonly List<MetricFamily> _families = [];
    private readonly List<Action> _collectors = [];

    public Counter Counter(string name, string help, params string[] labelNames) => Add(new Counter(name, help, labelNames));

    public Gauge Gauge(string name, string help, params string[] labelNames) => Add(new Gauge(name, help, labelNames));

    public Histogram Histogram(string name, string help, double[] buckets, params string[] labelNames) =>
        Add(new Histogram(name, help, buckets, labelNames));

    /// <summary>Runs before every exposition: gauges that mirror outside state (the journal) are refreshed there.</summary>
    public void OnCollect(Action collect)
    {
        lock (_collectors) _collectors.Add(collect);
    }

    /// <summary>The whole exposition, families in registration order, series in label order.</summary>
    public string Expose()
    {
        Action[] collectors;
        lock (_collectors) collectors = _collectors.ToArray();
        foreach (var collect in collectors) collect();
        var text = new StringBuilder(4096);
        MetricFamily[] families;
        lock (_families) families = _families.ToArray();
        foreach (var family in families) family.WriteTo(text);
        return text.ToString();
    }

    private T Add<T>(T family) where T : MetricFamily
    {
        lock (_families)
        {
            if (_families.Any(f => f.Name == family.Name)) throw new ArgumentException($"metric {family.Name} is registered twice");
            _families.Add(family);
        }
        return family;
    }
}

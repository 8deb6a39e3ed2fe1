using System.Text.Json;

namespace EipCni.Node;

/// <summary>
/// The agent's own log in its long-running mode: one JSON line per entry on stderr, which the container runtime keeps
/// (kubectl logs). The plugin's per-call lines go to its log file instead (<see cref="JsonLineLog"/>).
/// </summary>
public sealed class StderrLog(LogLevel min, string component) : ILog
{
    private readonly Lock _gate = new();

    public bool IsEnabled(LogLevel level) => level >= min;

    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields)
    {
        if (!IsEnabled(level)) return;
        var buffer = new MemoryStream(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = MinimalJsonEncoder.Instance }))
        {
            w.WriteStartObject();
            w.WriteString("time", JsonLineLog.Timestamp(DateTime.UtcNow));
            w.WriteString("level", JsonLineLog.LevelName(level));
            w.WriteString("msg", message);
            w.WriteString("component", component);
            foreach (var (key, value) in fields)
            {
                if (value is null) continue;
                if (value is bool b) w.WriteBoolean(key, b);
                else if (value is int or long or double) w.WriteNumber(key, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                else w.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
            }
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        lock (_gate)
        {
            using var stderr = Console.OpenStandardError();
            stderr.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }
}

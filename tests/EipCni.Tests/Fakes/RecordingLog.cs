using System.Collections.Concurrent;

namespace EipCni.Tests.Fakes;

/// <summary>An <see cref="ILog"/> that keeps every line, so a test can ask what the engine said (and why it dropped a record).</summary>
public sealed class RecordingLog : ILog
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message, (string Key, object? Value)[] Fields)> _lines = new();

    public bool IsEnabled(LogLevel level) => true;

    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields) => _lines.Enqueue((level, message, fields));

    public IReadOnlyList<(LogLevel Level, string Message, (string Key, object? Value)[] Fields)> Lines => _lines.ToList();

    public bool Contains(string fragment, LogLevel? level = null) =>
        _lines.Any(l => l.Message.Contains(fragment, StringComparison.Ordinal) && (level is null || l.Level == level));

    public override string ToString() => string.Join("\n", _lines.Select(l => $"{l.Level} {l.Message} " + string.Join(" ", l.Fields.Select(f => $"{f.Key}={f.Value}"))));
}

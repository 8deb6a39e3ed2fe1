using System.Text.Json;
using Tmds.Linux;

namespace EipCni;

/// <summary>A log that drops everything (tests, and when the log file cannot be opened).</summary>
public sealed class NullLog : ILog
{
    public static readonly NullLog Instance = new();
    public bool IsEnabled(LogLevel level) => false;
    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields) { }
}

using System.Text;
using System.Text.Json;

namespace EipCni;

/// <summary>Severity of a log line.</summary>
public enum LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 }

/// <summary>Structured logging seam: JSON lines in a file, never stdout (stdout carries the CNI result).</summary>
public interface ILog
{
    bool IsEnabled(LogLevel level);

    /// <summary>Writes one line. Fields must never carry secrets (keys, tokens, signatures).</summary>
    void Write(LogLevel level, string message, params (string Key, object? Value)[] fields);
}

/// <summary>A log that drops everything (tests, and when the log file cannot be opened).</summary>
public sealed class NullLog : ILog
{
    public static readonly NullLog Instance = new();
    public bool IsEnabled(LogLevel level) => false;
    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields) { }
}

/// <summary>Appends JSON lines to a file; each line is written with a single append so concurrent plugin processes do not interleave.</summary>
public sealed class JsonLineLog : ILog
{
    private readonly string _path;
    private readonly LogLevel _min;
    private readonly string _invocation;

    public JsonLineLog(string path, LogLevel min, string invocation)
    {
        _path = path;
        _min = min;
        _invocation = invocation;
    }

    public bool IsEnabled(LogLevel level) => level >= _min;

    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields)
    {
        if (!IsEnabled(level)) return;
        try
        {
            var buffer = new MemoryStream(256);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
                w.WriteString("level", LevelName(level));
                w.WriteString("msg", message);
                w.WriteString("invocation", _invocation);
                w.WriteNumber("pid", Environment.ProcessId);
                foreach (var (key, value) in fields) WriteField(w, key, value);
                w.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
            var dir = Path.GetDirectoryName(_path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            using var fs = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            fs.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Logging must never fail a CNI call; stderr is the last resort (libcni keeps it, nobody else sees it).
            Console.Error.WriteLine($"eip-cni: cannot write log {_path}: {e.Message}");
        }
    }

    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info",
        LogLevel.Warn => "warn",
        _ => "error",
    };

    private static void WriteField(Utf8JsonWriter w, string key, object? value)
    {
        switch (value)
        {
            case null: break; // absent rather than null keeps lines short
            case string s: w.WriteString(key, s); break;
            case bool b: w.WriteBoolean(key, b); break;
            case int i: w.WriteNumber(key, i); break;
            case long l: w.WriteNumber(key, l); break;
            case double d: w.WriteNumber(key, Math.Round(d, 3)); break;
            case TimeSpan t: w.WriteNumber(key, Math.Round(t.TotalMilliseconds, 1)); break;
            default: w.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }
}

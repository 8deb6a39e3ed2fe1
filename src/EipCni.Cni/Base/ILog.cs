using System.Text.Json;
using Tmds.Linux;

namespace EipCni;

/// <summary>Structured logging seam: JSON lines in a file, never stdout (stdout carries the CNI result).</summary>
public interface ILog
{
    bool IsEnabled(LogLevel level);

    /// <summary>Writes one line. Fields must never carry secrets (keys, tokens, signatures).</summary>
    void Write(LogLevel level, string message, params (string Key, object? Value)[] fields);
}

using System.Text.Json;
using Tmds.Linux;

namespace EipCni;

/// <summary>Severity of a log line.</summary>
public enum LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 }

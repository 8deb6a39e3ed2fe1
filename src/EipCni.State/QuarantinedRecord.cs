using System.Text.Json;

namespace EipCni.State;

/// <summary>A journal record that could not be read, and where it was moved.</summary>
public sealed record QuarantinedRecord(string Path, string MovedTo, string Problem);

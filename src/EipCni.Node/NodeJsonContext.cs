using System.Text.Json.Serialization;

namespace EipCni.Node;

/// <summary>Source-generated JSON for the agent's own files (reflection is off in NativeAOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OrphanMemoryFile))]
internal sealed partial class NodeJsonContext : JsonSerializerContext;

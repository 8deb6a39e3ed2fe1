using System.Text.Json.Serialization;

namespace EipCni.State;

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AttachmentRecord))]
[JsonSerializable(typeof(RecordedAllocation))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

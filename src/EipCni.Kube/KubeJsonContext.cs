using System.Text.Json.Serialization;

namespace EipCni.Kube;

// Wire shapes: only the fields eip-cni reads or writes. Unknown fields in answers are ignored.

/// <summary>Source-generated JSON for the Kubernetes wire types (reflection is off in NativeAOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PodDto))]
[JsonSerializable(typeof(PodListDto))]
[JsonSerializable(typeof(NodeListDto))]
[JsonSerializable(typeof(StatusDto))]
[JsonSerializable(typeof(AnnotationsPatchDto))]
[JsonSerializable(typeof(ConditionPatchDto))]
[JsonSerializable(typeof(EventDto))]
[JsonSerializable(typeof(LeaseDto))]
[JsonSerializable(typeof(ObjectDto))]
[JsonSerializable(typeof(ListDto<PodDto>))]
[JsonSerializable(typeof(ConfigMapDto))]
[JsonSerializable(typeof(ListDto<ConfigMapDto>))]
[JsonSerializable(typeof(NodeDto))]
[JsonSerializable(typeof(TokenRequestDto))]
internal sealed partial class KubeJsonContext : JsonSerializerContext;

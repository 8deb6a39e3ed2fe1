using System.Text.Json.Serialization;

namespace EipCni.Kube;

// Wire shapes: only the fields eip-cni reads or writes. Unknown fields in answers are ignored.

internal sealed class ObjectMetaDto
{
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public List<OwnerReferenceDto>? OwnerReferences { get; set; }
}

internal sealed class OwnerReferenceDto
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Uid { get; set; }
    public bool? Controller { get; set; }
}

internal sealed class PodDto
{
    public ObjectMetaDto? Metadata { get; set; }
    public PodSpecDto? Spec { get; set; }
    public PodStatusDto? Status { get; set; }
}

/// <summary>A list's metadata: when more items follow, the continue token; the resourceVersion to watch from.</summary>
internal sealed class ListMetaDto
{
    public string? Continue { get; set; }
    public string? ResourceVersion { get; set; }
}

internal sealed class PodListDto
{
    public ListMetaDto? Metadata { get; set; }
    public List<PodDto>? Items { get; set; }
}

internal sealed class NodeListDto
{
    public ListMetaDto? Metadata { get; set; }
    public List<ObjectDto>? Items { get; set; }
}

internal sealed class PodSpecDto
{
    public string? NodeName { get; set; }
    public List<ReadinessGateDto>? ReadinessGates { get; set; }
}

internal sealed class ReadinessGateDto
{
    public string? ConditionType { get; set; }
}

internal sealed class PodStatusDto
{
    public string? Phase { get; set; }
    public List<PodIpDto>? PodIPs { get; set; }
    public List<PodConditionDto>? Conditions { get; set; }
}

internal sealed class PodIpDto
{
    public string? Ip { get; set; }
}

internal sealed class PodConditionDto
{
    public string? Type { get; set; }
    public string? Status { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public string? LastTransitionTime { get; set; }
}

internal sealed class StatusDto
{
    public string? Status { get; set; }
    public string? Message { get; set; }
    public string? Reason { get; set; }
    public int? Code { get; set; }
    public StatusDetailsDto? Details { get; set; }
}

internal sealed class StatusDetailsDto
{
    public int? RetryAfterSeconds { get; set; }
}

/// <summary>{"metadata":{"annotations":{...}}}: a merge patch whose null values delete.</summary>
internal sealed class AnnotationsPatchDto
{
    public required AnnotationsMetaDto Metadata { get; init; }
}

internal sealed class AnnotationsMetaDto
{
    public required Dictionary<string, string?> Annotations { get; init; }
}

/// <summary>{"status":{"conditions":[...]}}: a strategic merge patch, merged by condition type.</summary>
internal sealed class ConditionPatchDto
{
    public required ConditionPatchStatusDto Status { get; init; }
}

internal sealed class ConditionPatchStatusDto
{
    public required List<PodConditionDto> Conditions { get; init; }
}

internal sealed class EventDto
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "Event";
    public required ObjectMetaDto Metadata { get; init; }
    public required ObjectReferenceDto InvolvedObject { get; init; }
    public required string Reason { get; init; }
    public required string Message { get; init; }
    public required string Type { get; init; }
    public required EventSourceDto Source { get; init; }
    public required string FirstTimestamp { get; init; }
    public required string LastTimestamp { get; init; }
    public int Count { get; init; } = 1;
    public string? Action { get; init; }
    public required string ReportingComponent { get; init; }
    public required string ReportingInstance { get; init; }
}

internal sealed class ObjectReferenceDto
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "Pod";
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public string? Uid { get; init; }
}

internal sealed class EventSourceDto
{
    public required string Component { get; init; }
    public string? Host { get; init; }
}

/// <summary>Any object's answer when only its metadata matters (created events).</summary>
internal sealed class ObjectDto
{
    public ObjectMetaDto? Metadata { get; set; }
}

internal sealed class LeaseDto
{
    public string ApiVersion { get; set; } = "coordination.k8s.io/v1";
    public string Kind { get; set; } = "Lease";
    public ObjectMetaDto? Metadata { get; set; }
    public LeaseSpecDto? Spec { get; set; }
}

internal sealed class LeaseSpecDto
{
    public string? HolderIdentity { get; set; }
    public int? LeaseDurationSeconds { get; set; }
    public string? AcquireTime { get; set; }
    public string? RenewTime { get; set; }
    public int? LeaseTransitions { get; set; }
}

/// <summary>PodList, ConfigMapList, ...: only the list metadata and the items.</summary>
internal sealed class ListDto<T>
{
    public ListMetaDto? Metadata { get; set; }
    public List<T?>? Items { get; set; }
}

internal sealed class ConfigMapDto
{
    public ObjectMetaDto? Metadata { get; set; }
    public Dictionary<string, string>? Data { get; set; }
}

internal sealed class NodeDto
{
    public ObjectMetaDto? Metadata { get; set; }
    public NodeSpecDto? Spec { get; set; }
    public NodeStatusDto? Status { get; set; }
}

internal sealed class NodeSpecDto
{
    [JsonPropertyName("providerID")]
    public string? ProviderId { get; set; }
    public bool? Unschedulable { get; set; }
}

internal sealed class NodeStatusDto
{
    public List<NodeAddressDto>? Addresses { get; set; }
}

internal sealed class NodeAddressDto
{
    public string? Type { get; set; }
    public string? Address { get; set; }
}

/// <summary>authentication.k8s.io/v1 TokenRequest (the body of POST serviceaccounts/{name}/token and its answer).</summary>
internal sealed class TokenRequestDto
{
    public string ApiVersion { get; set; } = "authentication.k8s.io/v1";
    public string Kind { get; set; } = "TokenRequest";
    public TokenRequestSpecDto? Spec { get; set; }
    public TokenRequestStatusDto? Status { get; set; }
}

internal sealed class TokenRequestSpecDto
{
    public List<string>? Audiences { get; set; }
    public long? ExpirationSeconds { get; set; }
}

internal sealed class TokenRequestStatusDto
{
    public string? Token { get; set; }
    public string? ExpirationTimestamp { get; set; }
}

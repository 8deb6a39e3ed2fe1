namespace EipCni.Kube;

/// <summary>One status.conditions entry.</summary>
public sealed record PodCondition(string Type, string Status, string? Reason, string? Message, DateTimeOffset? LastTransitionTime);

namespace EipCni.Kube;

/// <summary>One metadata.ownerReferences entry.</summary>
public sealed record PodOwner(string ApiVersion, string Kind, string Name, string Uid, bool Controller);

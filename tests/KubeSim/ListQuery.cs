namespace KubeSim;

/// <summary>The list options a client can send: selectors, resourceVersion semantics and paging.</summary>
public sealed record ListQuery(FieldSelector Fields, LabelSelector Labels, string? ResourceVersion, string? ResourceVersionMatch, int? Limit, string? Continue);

namespace EipCni.Kube;

/// <summary>
/// A list or watch's <c>fieldSelector</c> and <c>labelSelector</c>, in the API's own syntax (<c>spec.nodeName=n1</c>,
/// <c>app in (a,b)</c>); the server validates them.
/// </summary>
public sealed record KubeSelector(string? Fields = null, string? Labels = null)
{
    public static readonly KubeSelector Everything = new();

    /// <summary>One object by name: RBAC treats such a list or watch as a request for that name (resourceNames rules apply).</summary>
    public static KubeSelector Named(string name) => new(Fields: "metadata.name=" + name);

    /// <summary>Pods scheduled on one node.</summary>
    public static KubeSelector OnNode(string nodeName) => new(Fields: "spec.nodeName=" + nodeName);
}

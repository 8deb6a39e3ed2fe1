namespace EipCni.Cni;

/// <summary>The one failure type of the plugin: a CNI error code, a short message and details, printed as the CNI error JSON.</summary>
public sealed class CniException : Exception
{
    public CniException(int code, string message, string? details = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Details = details ?? "";
    }

    public int Code { get; }

    public string Details { get; }
}

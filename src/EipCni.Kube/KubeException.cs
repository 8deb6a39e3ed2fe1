namespace EipCni.Kube;

/// <summary>
/// A Kubernetes API call that failed: the HTTP status (0 when no answer came), the apiserver's Status reason and
/// message, the request, and how many attempts were made. Never carries the bearer token or any credential.
/// </summary>
public sealed class KubeException : Exception
{
    public KubeException(int statusCode, string reason, string message, string method, string path, int attempts, Exception? inner = null)
        : base(Format(statusCode, reason, message, method, path, attempts), inner)
    {
        StatusCode = statusCode;
        Reason = reason;
        ServerMessage = message;
        Method = method;
        Path = path;
        Attempts = attempts;
    }

    /// <summary>HTTP status; 0 for a connection failure, a timeout or a TLS rejection.</summary>
    public int StatusCode { get; }

    /// <summary>The Status reason (NotFound, Conflict, Forbidden, ...) or ours for no answer: ConnectionFailed, Timeout, TlsRejected.</summary>
    public string Reason { get; }

    /// <summary>The apiserver's message alone, without our prefix.</summary>
    public string ServerMessage { get; }
    public string Method { get; }
    public string Path { get; }
    public int Attempts { get; }

    public bool IsNotFound => StatusCode == 404;
    public bool IsConflict => StatusCode == 409;
    public bool IsAlreadyExists => StatusCode == 409 && Reason == "AlreadyExists";

    /// <summary>Worth trying again later: no answer, throttled, or a server-side failure.</summary>
    public bool IsTransient => StatusCode is 0 or 429 or >= 500 && Reason != "TlsRejected";

    /// <summary>The same failure after <paramref name="attempts"/> (the message counts them once) with why retries ended.</summary>
    internal KubeException WithAttempts(int attempts, string note, Exception? inner) =>
        new(StatusCode, Reason, $"{ServerMessage} ({note})", Method, Path, attempts, inner ?? InnerException);

    private static string Format(int status, string reason, string message, string method, string path, int attempts)
    {
        var code = status == 0 ? reason : $"{status} {reason}";
        var tries = attempts > 1 ? $" after {attempts} attempts" : "";
        return $"kubernetes {method} {path}: {code}{tries}: {message}";
    }
}

using System.Security.Authentication;

namespace EipCni.Http;

/// <summary>
/// Tells a refused TLS handshake (an untrusted, expired or misnamed certificate, a server not speaking TLS) from a
/// failed connection. A refusal is final: the same certificate will be refused again, so retrying only burns the budget.
/// </summary>
public static class TlsRefusal
{
    /// <summary>Why the handshake was refused (e.g. "…errors in the certificate chain: UntrustedRoot"), or null for other failures.</summary>
    public static string? Describe(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is AuthenticationException a) return a.Message.TrimEnd('.');
        return null;
    }
}

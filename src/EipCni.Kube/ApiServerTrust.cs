using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EipCni.Kube;

/// <summary>
/// Verifies the API server certificate against the kubeconfig's CA only (not the system roots): a chain built with
/// CustomRootTrust, the serverAuth usage, and the host name: SslStream's check against the URL host, or ours against
/// the kubeconfig's tls-server-name (SocketsHttpHandler always sets TargetHost to the URL host, so SNI stays that host).
/// </summary>
internal sealed class ApiServerTrust(X509Certificate2Collection? authorities, string? tlsServerName)
{
    private static readonly System.Security.Cryptography.Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    /// <summary>Why the last handshake was refused, for the error message (the callback cannot throw usefully).</summary>
    public string? LastRejection { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            LastRejection = "the server presented no certificate";
            return false;
        }
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var nameMatches = tlsServerName is null
            ? (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
            : leaf.MatchesHostname(tlsServerName, allowWildcards: true, allowCommonName: false);
        if (!nameMatches)
        {
            LastRejection = "the server certificate does not name the host in the kubeconfig's server URL (or tls-server-name)";
            return false;
        }

        using var chain = new X509Chain();
        if (authorities is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        }
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // cluster CAs publish no CRL/OCSP
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate); // intermediates only help; trust comes from CustomTrustStore

        if (chain.Build(leaf))
        {
            LastRejection = null;
            return true;
        }
        var reasons = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        LastRejection = $"the server certificate ({leaf.Subject}) does not chain to {(authorities is null ? "a system-trusted root" : "the kubeconfig's certificate authority")}: {reasons}";
        return false;
    }
}

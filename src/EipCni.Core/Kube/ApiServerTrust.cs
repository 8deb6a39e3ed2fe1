using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EipCni.Kube;

/// <summary>
/// Verifies the API server certificate against the kubeconfig's CA only (not the system roots): a chain built with
/// CustomRootTrust, the serverAuth usage, and the host name check SslStream already did.
/// </summary>
internal sealed class ApiServerTrust(X509Certificate2Collection authorities)
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
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            LastRejection = "the server certificate does not name the host in the kubeconfig's server URL (or tls-server-name)";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // cluster CAs publish no CRL/OCSP
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate); // intermediates only help; trust comes from CustomTrustStore

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (chain.Build(leaf))
        {
            LastRejection = null;
            return true;
        }
        var reasons = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        LastRejection = $"the server certificate ({leaf.Subject}) does not chain to the kubeconfig's certificate authority: {reasons}";
        return false;
    }
}

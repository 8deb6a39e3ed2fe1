using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EipCni.Tests.Kube;

/// <summary>Certificates made in the test: a foreign CA and client certificates with RSA or EC keys, as PEM.</summary>
internal static class TestPki
{
    public sealed record Pem(string Certificate, string Key);

    public static (X509Certificate2 Ca, ECDsa Key) CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        return (request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1)), key);
    }

    /// <summary>A client certificate issued by the CA; keyType "rsa" (PKCS#1 PEM), "ec" (SEC1 PEM) or "pkcs8".</summary>
    public static Pem IssueClient(X509Certificate2 ca, ECDsa caKey, string commonName, string keyType)
    {
        AsymmetricAlgorithm key = keyType == "ec" ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var request = key is RSA rsa
            ? new CertificateRequest($"CN={commonName}, O=system:masters", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={commonName}, O=system:masters", (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddHours(-1), now.AddDays(1),
            RandomNumberGenerator.GetBytes(8));
        var keyPem = keyType switch
        {
            "rsa" => ((RSA)key).ExportRSAPrivateKeyPem(),
            "ec" => ((ECDsa)key).ExportECPrivateKeyPem(),
            _ => key.ExportPkcs8PrivateKeyPem(),
        };
        key.Dispose();
        return new Pem(cert.ExportCertificatePem(), keyPem);
    }

    /// <summary>A TLS server certificate for 127.0.0.1 and localhost issued by the CA, with its private key.</summary>
    public static X509Certificate2 IssueServer(X509Certificate2 ca, ECDsa caKey)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var cert = ServerRequest("hostile-server", key).Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = cert.CopyWithPrivateKey(key);
        return Pkcs12RoundTrip(withKey);
    }

    /// <summary>A self-signed TLS server certificate for 127.0.0.1 and localhost (no CA anyone trusts), with its key.</summary>
    public static X509Certificate2 SelfSignedServer()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var cert = ServerRequest("self-signed", key).CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
        return Pkcs12RoundTrip(cert);
    }

    private static CertificateRequest ServerRequest(string commonName, ECDsa key)
    {
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        return request;
    }

    /// <summary>SslStream on Linux wants a server key that went through a PKCS#12 round trip.</summary>
    private static X509Certificate2 Pkcs12RoundTrip(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    public static string Base64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    /// <summary>A kubeconfig in kubectl's layout with the given user fields (already indented for the user block).</summary>
    public static string Kubeconfig(string server, string clusterFields, string userFields) => $"""
        apiVersion: v1
        clusters:
        - cluster:
        {Indent(clusterFields, 4)}
            server: {server}
          name: c1
        contexts:
        - context:
            cluster: c1
            user: u1
          name: ctx
        current-context: ctx
        kind: Config
        preferences: {"{}"}
        users:
        - name: u1
          user:
        {Indent(userFields, 4)}

        """;

    private static string Indent(string fields, int spaces) =>
        string.Join("\n", fields.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => new string(' ', spaces) + l.Trim()));

    public static IPAddress Loopback => IPAddress.Loopback;
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KubeSim;

/// <summary>A throw-away cluster CA with a server certificate for 127.0.0.1/localhost and one client certificate, all made at start.</summary>
public sealed class SimPki
{
    public const string ClientUser = "sim-cert-admin";

    private SimPki(X509Certificate2 ca, X509Certificate2 server, X509Certificate2 client, RSA clientKey)
    {
        Ca = ca;
        Server = server;
        Client = client;
        ClientKey = clientKey;
    }

    public X509Certificate2 Ca { get; }
    public X509Certificate2 Server { get; }
    public X509Certificate2 Client { get; }
    public RSA ClientKey { get; }

    public static SimPki Create()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=kubesim-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=kube-apiserver", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using var serverPublic = Issue(serverRequest, ca, caKey, now);
        var server = serverPublic.CopyWithPrivateKey(serverKey);

        // RSA client key in PKCS#1 form, as kubeadm writes it.
        var clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest($"CN={ClientUser}, O=system:masters", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        clientRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        var client = Issue(clientRequest, ca, caKey, now);

        // Kestrel on Linux is happiest with a certificate whose key went through a PKCS#12 round trip.
        var serverPfx = X509CertificateLoader.LoadPkcs12(server.Export(X509ContentType.Pkcs12), null);
        return new SimPki(ca, serverPfx, client, clientKey);
    }

    private static X509Certificate2 Issue(CertificateRequest request, X509Certificate2 ca, ECDsa caKey, DateTimeOffset now)
    {
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        // The generator overload lets the EC CA sign an RSA request.
        return request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddHours(-1), now.AddDays(1), serial);
    }

    /// <summary>True when the certificate was issued by this simulator's CA (a real chain build against it, not a name check).</summary>
    public bool IsIssuedByCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }

    /// <summary>The common name of a client certificate: the apiserver's user name for it.</summary>
    public static string UserOf(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, false);

    /// <summary>Writes ca.crt, client.crt, client.key and the two kubeconfigs into dir.</summary>
    public (string Kubeconfig, string KubeconfigCert, string CaFile) WriteFiles(string dir, string url, string token)
    {
        Directory.CreateDirectory(dir);
        var caPem = Ca.ExportCertificatePem() + "\n";
        var caFile = Path.Combine(dir, "ca.crt");
        File.WriteAllText(caFile, caPem);
        File.WriteAllText(Path.Combine(dir, "client.crt"), Client.ExportCertificatePem() + "\n");
        WritePrivate(Path.Combine(dir, "client.key"), ClientKey.ExportRSAPrivateKeyPem() + "\n");

        var caData = Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem));
        // Token kubeconfig: the shape `kubectl config view --raw` prints (keys sorted, lists at the parent's indent).
        var kubeconfig = $"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {caData}
                server: {url}
              name: kubesim
            contexts:
            - context:
                cluster: kubesim
                namespace: default
                user: kubesim-token
              name: kubesim
            current-context: kubesim
            kind: Config
            preferences: {"{}"}
            users:
            - name: kubesim-token
              user:
                token: {token}

            """;
        var kubeconfigPath = Path.Combine(dir, "kubeconfig");
        WritePrivate(kubeconfigPath, kubeconfig);

        // Client-certificate kubeconfig: file references relative to the kubeconfig's own directory, as kubectl resolves them.
        var certConfig = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubesim
              cluster:
                server: "{url}"
                certificate-authority: ca.crt
            users:
            - name: kubesim-cert
              user:
                client-certificate: client.crt
                client-key: client.key
            contexts:
            - name: kubesim-cert
              context:
                cluster: kubesim
                user: kubesim-cert
            current-context: kubesim-cert

            """;
        var certPath = Path.Combine(dir, "kubeconfig-cert");
        WritePrivate(certPath, certConfig);
        return (kubeconfigPath, certPath, caFile);
    }

    private static void WritePrivate(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}

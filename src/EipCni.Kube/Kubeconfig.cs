using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EipCni.Kube;

/// <summary>
/// The one context of a kubeconfig that eip-cni uses: API server, its CA, and the credentials (token, token file or
/// client certificate). Loaded the way kubectl resolves it: current-context → cluster and user; relative file paths
/// are relative to the kubeconfig's directory; <c>-data</c> fields win over their file counterparts.
/// </summary>
public sealed partial class Kubeconfig
{
    private Kubeconfig(string source, string contextName, Uri server, string? tlsServerName, X509Certificate2Collection? authorities,
        string? token, string? tokenFile, X509Certificate2? clientCertificate, string? defaultNamespace)
    {
        Source = source;
        ContextName = contextName;
        Server = server;
        TlsServerName = tlsServerName;
        CertificateAuthorities = authorities;
        _token = token;
        TokenFile = tokenFile;
        ClientCertificate = clientCertificate;
        Namespace = defaultNamespace;
    }

    private readonly string? _token;

    /// <summary>Where this configuration came from, for messages.</summary>
    public string Source { get; }
    public string ContextName { get; }
    public Uri Server { get; }

    /// <summary>The name to verify the server certificate against, when it differs from the server URL's host.</summary>
    public string? TlsServerName { get; }

    /// <summary>The only roots the API server certificate may chain to; null means the system trust store (no CA in the kubeconfig).</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; }

    /// <summary>The token file, re-read on every request so a rotated service-account token is picked up.</summary>
    public string? TokenFile { get; }

    public X509Certificate2? ClientCertificate { get; }
    public string? Namespace { get; }
    public bool HasToken => _token is not null || TokenFile is not null;

    /// <summary>The bearer token for the next request, or null for none. Never log the result.</summary>
    public string? ReadToken()
    {
        if (_token is not null) return _token;
        if (TokenFile is null) return null;
        try
        {
            var token = (ConfigFile.ReadText(TokenFile, ConfigFile.TokenLimit)
                ?? throw new KubeconfigException(Source, "tokenFile", $"{TokenFile} does not exist")).Trim();
            if (token.Length == 0) throw new KubeconfigException(Source, "tokenFile", $"{TokenFile} is empty");
            return token;
        }
        catch (ConfigFileException e)
        {
            throw new KubeconfigException(Source, "tokenFile", e.Message, e);
        }
        catch (IOException e)
        {
            throw new KubeconfigException(Source, "tokenFile", $"cannot read {TokenFile}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads a kubeconfig file (YAML or JSON) and resolves its current context, or <paramref name="context"/> when given.
    /// It and the files it names are read through <see cref="ConfigFile"/>: regular files within their size limits.
    /// </summary>
    public static Kubeconfig Load(string path, string? context = null)
    {
        string text;
        try
        {
            text = ConfigFile.ReadText(path, ConfigFile.ConfigLimit) ?? throw new KubeconfigException(path, "file", "cannot read: it does not exist");
        }
        catch (ConfigFileException e)
        {
            throw new KubeconfigException(path, "file", e.Message, e);
        }
        catch (IOException e)
        {
            throw new KubeconfigException(path, "file", $"cannot read: {e.Message}", e);
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        return Parse(text, path, directory, context);
    }

    /// <summary>Parses kubeconfig text; <paramref name="baseDirectory"/> anchors relative file references.</summary>
    public static Kubeconfig Parse(string text, string source, string baseDirectory, string? context = null)
    {
        var root = KubeconfigYaml.Parse(text, source) as Dictionary<string, object?>
                   ?? throw new KubeconfigException(source, "(root)", "expected a mapping with clusters, users, contexts and current-context");
        var reader = new Reader(source, baseDirectory);

        var contextName = context ?? reader.String(root, "current-context", "current-context");
        if (string.IsNullOrEmpty(contextName)) throw new KubeconfigException(source, "current-context", "is not set; name the context to use");
        var contextEntry = reader.Named(root, "contexts", contextName, "context");
        var contextPath = $"contexts[name={contextName}].context";
        var clusterName = reader.String(contextEntry, "cluster", contextPath + ".cluster")
            ?? throw new KubeconfigException(source, contextPath + ".cluster", "is required");
        var userName = reader.String(contextEntry, "user", contextPath + ".user");
        var defaultNamespace = reader.String(contextEntry, "namespace", contextPath + ".namespace");

        // ---- cluster ----
        var cluster = reader.Named(root, "clusters", clusterName, "cluster");
        var clusterPath = $"clusters[name={clusterName}].cluster";
        var serverText = reader.String(cluster, "server", clusterPath + ".server")
            ?? throw new KubeconfigException(source, clusterPath + ".server", "is required");
        var server = ParseServer(source, clusterPath + ".server", serverText);

        // TLS verification stays on whatever the file says: a CNI plugin holding pod-patch rights must not talk to an
        // unverified server. A kubeconfig that asks to skip it is refused rather than silently half-obeyed.
        if (reader.String(cluster, "insecure-skip-tls-verify", clusterPath + ".insecure-skip-tls-verify") is { } skip
            && !skip.Equals("false", StringComparison.OrdinalIgnoreCase))
            throw new KubeconfigException(source, clusterPath + ".insecure-skip-tls-verify",
                $"\"{skip}\" is refused: eip-cni always verifies the API server certificate; set certificate-authority or certificate-authority-data instead");
        if (reader.String(cluster, "proxy-url", clusterPath + ".proxy-url") is not null)
            throw new KubeconfigException(source, clusterPath + ".proxy-url", "is not supported: eip-cni connects to the API server directly");

        var caPem = reader.PemSource(cluster, "certificate-authority-data", "certificate-authority", clusterPath);
        var authorities = caPem is { } ca ? Authorities(source, ca.Field, ca.Pem) : null;
        var tlsServerName = reader.String(cluster, "tls-server-name", clusterPath + ".tls-server-name");

        // ---- user ----
        string? token = null, tokenFile = null;
        X509Certificate2? clientCertificate = null;
        if (userName is not null)
        {
            var user = reader.Named(root, "users", userName, "user");
            var userPath = $"users[name={userName}].user";
            foreach (var unsupported in new[] { "exec", "auth-provider", "username", "password", "as", "as-groups" })
                if (user.ContainsKey(unsupported))
                    throw new KubeconfigException(source, $"{userPath}.{unsupported}", "is not supported by eip-cni; use token, tokenFile or a client certificate");

            token = reader.String(user, "token", userPath + ".token");
            if (token is not null && TokenProblem(token) is { } tokenProblem)
                throw new KubeconfigException(source, userPath + ".token", tokenProblem);
            tokenFile = reader.Path(user, "tokenFile", userPath + ".tokenFile");
            if (token is not null) tokenFile = null; // client-go: an explicit token wins over tokenFile
            if (tokenFile is not null && !File.Exists(tokenFile))
                throw new KubeconfigException(source, userPath + ".tokenFile", $"{tokenFile} does not exist");

            var certPem = reader.PemSource(user, "client-certificate-data", "client-certificate", userPath);
            var keyPem = reader.PemSource(user, "client-key-data", "client-key", userPath);
            if (certPem is null != keyPem is null)
                throw new KubeconfigException(source, certPem is null ? userPath + ".client-certificate" : userPath + ".client-key",
                    "is required: a client certificate needs both client-certificate(-data) and client-key(-data)");
            if (certPem is { } c && keyPem is { } k) clientCertificate = LoadClientCertificate(source, c, k);
        }

        return new Kubeconfig(source, contextName, server, tlsServerName, authorities, token, tokenFile, clientCertificate, defaultNamespace);
    }

    private static X509Certificate2Collection Authorities(string source, string field, string pem)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new KubeconfigException(source, field, "is not a PEM certificate bundle", e);
        }
        if (authorities.Count == 0) throw new KubeconfigException(source, field, "holds no PEM certificate");
        return authorities;
    }

    private static Uri ParseServer(string source, string field, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
            throw new KubeconfigException(source, field, $"\"{text}\" is not an https:// URL");
        // Plain HTTP would send the bearer token in clear; only a loopback server (kubectl proxy, tests) may use it.
        if (uri.Scheme == "http" && !(uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))))
            throw new KubeconfigException(source, field, $"\"{text}\": plain http is refused for a non-loopback API server");
        return uri;
    }

    /// <summary>Longest bearer token accepted (a service-account JWT is 1–2 KB).</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>
    /// Null when a bearer token can be an Authorization header value: visible ASCII, no spaces, at most
    /// <see cref="MaxTokenLength"/>; else what is wrong, never the token. A line break would add header lines of
    /// whoever wrote the kubeconfig or the token file.
    /// </summary>
    public static string? TokenProblem(string token) => Http.HeaderValues.VisibleAsciiProblem(token, MaxTokenLength);

    private static X509Certificate2 LoadClientCertificate(string source, (string Pem, string Field) cert, (string Pem, string Field) key)
    {
        X509Certificate2 parsed;
        try
        {
            parsed = X509Certificate2.CreateFromPem(cert.Pem);
        }
        catch (CryptographicException e)
        {
            throw new KubeconfigException(source, cert.Field, "is not a PEM certificate", e);
        }
        using (parsed)
        {
            try
            {
                // CreateFromPem picks the key type from the certificate: RSA (PKCS#1 or PKCS#8) and EC (SEC1 or PKCS#8).
                return X509Certificate2.CreateFromPem(cert.Pem, key.Pem);
            }
            catch (CryptographicException e)
            {
                var algorithm = parsed.GetKeyAlgorithm() switch
                {
                    "1.2.840.113549.1.1.1" => "RSA",
                    "1.2.840.10045.2.1" => "EC",
                    var other => other,
                };
                throw new KubeconfigException(source, key.Field,
                    $"is not a PEM {algorithm} private key matching {cert.Field} ({e.Message})", e);
            }
        }
    }

    /// <summary>Typed access to the parsed tree with errors that name the field.</summary>
    private sealed class Reader(string source, string baseDirectory)
    {
        public string? String(Dictionary<string, object?> map, string key, string field) =>
            map.TryGetValue(key, out var v) ? v switch
            {
                null => null,
                string s => s,
                _ => throw new KubeconfigException(source, field, "expected a string"),
            } : null;

        public string? Path(Dictionary<string, object?> map, string key, string field)
        {
            var value = String(map, key, field);
            if (string.IsNullOrEmpty(value)) return null;
            return System.IO.Path.IsPathRooted(value) ? value : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, value));
        }

        /// <summary>Finds the entry called <paramref name="name"/> in a list like clusters: [{name, cluster: {...}}].</summary>
        public Dictionary<string, object?> Named(Dictionary<string, object?> root, string listKey, string name, string bodyKey)
        {
            if (!root.TryGetValue(listKey, out var listValue) || listValue is null)
                throw new KubeconfigException(source, listKey, $"is missing; expected an entry named \"{name}\"");
            if (listValue is not List<object?> list) throw new KubeconfigException(source, listKey, "expected a list");
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not Dictionary<string, object?> entry)
                    throw new KubeconfigException(source, $"{listKey}[{i}]", "expected a mapping with name and " + bodyKey);
                if (String(entry, "name", $"{listKey}[{i}].name") != name) continue;
                return entry.TryGetValue(bodyKey, out var body) switch
                {
                    false => throw new KubeconfigException(source, $"{listKey}[name={name}].{bodyKey}", "is missing"),
                    true when body is Dictionary<string, object?> d => d,
                    true when body is null => new Dictionary<string, object?>(),
                    _ => throw new KubeconfigException(source, $"{listKey}[name={name}].{bodyKey}", "expected a mapping"),
                };
            }
            throw new KubeconfigException(source, listKey, $"has no entry named \"{name}\"");
        }

        /// <summary>PEM text from <c>X-data</c> (base64 of the PEM) or from the file named by <c>X</c>; data wins, as in client-go.</summary>
        public (string Pem, string Field)? PemSource(Dictionary<string, object?> map, string dataKey, string fileKey, string parent)
        {
            var dataField = $"{parent}.{dataKey}";
            var data = String(map, dataKey, dataField);
            if (!string.IsNullOrWhiteSpace(data))
            {
                try
                {
                    return (Encoding.UTF8.GetString(Convert.FromBase64String(data.Trim())), dataField);
                }
                catch (FormatException e)
                {
                    throw new KubeconfigException(source, dataField, "is not valid base64", e);
                }
            }
            var fileField = $"{parent}.{fileKey}";
            var file = Path(map, fileKey, fileField);
            if (file is null) return null;
            try
            {
                return (ConfigFile.ReadText(file, ConfigFile.PemLimit) ?? throw new KubeconfigException(source, fileField, $"cannot read {file}: it does not exist"), fileField);
            }
            catch (ConfigFileException e)
            {
                throw new KubeconfigException(source, fileField, e.Message, e);
            }
            catch (IOException e)
            {
                throw new KubeconfigException(source, fileField, $"cannot read {file}: {e.Message}", e);
            }
        }
    }
}

using System.Text;
using System.Text.Json;
using EipCni.Http;
using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// Gives the plugin its own API server identity without any long-lived secret: a kubeconfig (0600) with the API server's
/// address and CA, naming a <c>tokenFile</c> that this loop keeps fresh with TokenRequest tokens of a dedicated minimal
/// service account (default <c>kube-system/eip-cni-plugin</c>). A token is replaced at 80 % of its lifetime (kubelet's
/// rule for projected tokens); a failed request is retried with backoff, and the old token stays in the file — and in
/// use — until then. Both files are replaced atomically (temp file, fsync, rename), so the plugin never reads half a token.
/// </summary>
public sealed class PluginIdentity
{
    private readonly KubeClient _kube;
    private readonly Kubeconfig _agentConfig;
    private readonly PluginIdentityOptions _options;
    private readonly ILog _log;
    private readonly TimeProvider _time;
    private DateTimeOffset? _expiresAt;
    private int _refreshes;

    public PluginIdentity(KubeClient agentClient, Kubeconfig agentConfig, PluginIdentityOptions options, ILog log, TimeProvider? time = null)
    {
        if (options.RefreshFraction is <= 0 or >= 1) throw new ArgumentException("RefreshFraction must be between 0 and 1", nameof(options));
        _kube = agentClient;
        _agentConfig = agentConfig;
        _options = options;
        _log = log;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>When the token in the file expires (null before the first one was written).</summary>
    public DateTimeOffset? TokenExpiresAt => _expiresAt;

    /// <summary>How many tokens have been written since the start.</summary>
    public int TokensWritten => Volatile.Read(ref _refreshes);

    /// <summary>Requests, writes and refreshes tokens until <paramref name="cancellationToken"/> is cancelled; never throws for the API server's or the disk's failures.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var policy = new RetryPolicy(int.MaxValue, _options.InitialRetry, _options.MaxRetry, _options.MaxRetry);
        var failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    wait = await RefreshAsync(cancellationToken).ConfigureAwait(false);
                    failures = 0;
                }
                catch (Exception e) when (e is KubeException or KubeconfigException or IOException or UnauthorizedAccessException)
                {
                    failures++;
                    wait = policy.Delay(failures, null);
                    var valid = _expiresAt is { } expires && expires > _time.GetUtcNow();
                    _log.Write(valid ? LogLevel.Warn : LogLevel.Error,
                        valid ? "cannot refresh the plugin's token; the current one is still valid" : "the plugin has no valid token: its API calls fail until a refresh succeeds",
                        ("serviceAccount", $"{_options.ServiceAccountNamespace}/{_options.ServiceAccountName}"), ("expiresAt", _expiresAt),
                        ("failures", failures), ("retryInMs", (long)wait.TotalMilliseconds), ("error", e.Message));
                }
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One TokenRequest, the token file, then the kubeconfig (whose tokenFile must exist); returns when to refresh.</summary>
    private async Task<TimeSpan> RefreshAsync(CancellationToken cancellationToken)
    {
        var requested = _time.GetUtcNow();
        var token = await _kube.RequestTokenAsync(_options.ServiceAccountNamespace, _options.ServiceAccountName, _options.TokenLifetime,
            _options.Audiences, cancellationToken).ConfigureAwait(false);
        Write(_options.TokenPath, Encoding.ASCII.GetBytes(token.Token));
        _expiresAt = token.ExpiresAt;
        Interlocked.Increment(ref _refreshes);
        WriteKubeconfigIfChanged();

        var lifetime = token.ExpiresAt - requested;
        var refreshIn = lifetime * _options.RefreshFraction;
        if (refreshIn < _options.InitialRetry) refreshIn = _options.InitialRetry; // a token that came back (nearly) expired: clock skew or a broken server
        _log.Write(LogLevel.Info, "plugin token written", ("serviceAccount", $"{_options.ServiceAccountNamespace}/{_options.ServiceAccountName}"),
            ("path", _options.TokenPath), ("expiresAt", token.ExpiresAt), ("refreshInSeconds", (long)refreshIn.TotalSeconds));
        return refreshIn;
    }

    private void WriteKubeconfigIfChanged()
    {
        var content = RenderKubeconfig(_options.Server ?? _agentConfig.Server, _agentConfig, _options.TokenPathOnHost ?? _options.TokenPath);
        try
        {
            if (PrivateFiles.Read(_options.KubeconfigPath, ConfigFile.ConfigLimit, ownerOnly: true) is { } current && current.AsSpan().SequenceEqual(content))
                return;
        }
        catch (UnexpectedFileException)
        {
            // a link, a file of another user or too readable: replaced below
        }
        Write(_options.KubeconfigPath, content);
        _log.Write(LogLevel.Info, "plugin kubeconfig written", ("path", _options.KubeconfigPath), ("server", (_options.Server ?? _agentConfig.Server).ToString()));
    }

    /// <summary>A new 0600 file renamed over the old; its directory is created 0700 when absent (it is root's, under /etc/cni).</summary>
    private static void Write(string path, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PrivateFiles.WriteAtomically(path, content, durable: true);
    }

    /// <summary>
    /// The plugin's kubeconfig (JSON, which kubectl and the plugin's parser read): the server, the agent's CA inline (or
    /// none: the system roots, as for the agent), its tls-server-name, and a user that has only a tokenFile.
    /// </summary>
    public static byte[] RenderKubeconfig(Uri server, Kubeconfig agentConfig, string tokenPath)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("apiVersion", "v1");
            json.WriteString("kind", "Config");
            json.WriteStartArray("clusters");
            json.WriteStartObject();
            json.WriteString("name", "eip-cni");
            json.WriteStartObject("cluster");
            json.WriteString("server", server.AbsoluteUri.TrimEnd('/'));
            if (agentConfig.CertificateAuthorities is { Count: > 0 } authorities)
            {
                var pem = string.Concat(authorities.Select(c => c.ExportCertificatePem() + "\n"));
                json.WriteString("certificate-authority-data", Convert.ToBase64String(Encoding.ASCII.GetBytes(pem)));
            }
            if (agentConfig.TlsServerName is { } name) json.WriteString("tls-server-name", name);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("users");
            json.WriteStartObject();
            json.WriteString("name", "eip-cni-plugin");
            json.WriteStartObject("user");
            json.WriteString("tokenFile", Path.GetFullPath(tokenPath));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("contexts");
            json.WriteStartObject();
            json.WriteString("name", "eip-cni");
            json.WriteStartObject("context");
            json.WriteString("cluster", "eip-cni");
            json.WriteString("user", "eip-cni-plugin");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("current-context", "eip-cni");
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}

using System.Text;
using System.Threading.Channels;
using EipCni.Cni;
using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// Keeps the host's eni_conf file equal to the <c>eni_conf</c> key of Terway's <c>kube-system/eni-config</c> ConfigMap, which
/// it watches (an <see cref="Informer{T}"/> on that one name). The file is replaced atomically (0600, a temp file in the same
/// directory, fsync, rename, fsync of the directory) and only when its content differs, so an unchanged ConfigMap never
/// touches it. A value the plugin would refuse (<see cref="Check"/>: the plugin's own parser and size limit) is not written:
/// the old file stays, and a Warning event <c>EniConfInvalid</c> on the ConfigMap says why (once per version). The
/// ConfigMap deleted, or its key removed: the file is removed, which turns the EIP feature off (logged as a warning).
/// The file is also compared every <see cref="EniConfSyncOptions.Resync"/>, so an edit on the host is undone.
/// </summary>
public sealed class EniConfSync
{
    /// <summary>The reason of the Warning event on the ConfigMap.</summary>
    public const string InvalidReason = "EniConfInvalid";

    private readonly KubeClient _kube;
    private readonly EniConfSyncOptions _options;
    private readonly ILog _log;
    private readonly InformerOptions? _informerOptions;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private string? _warnedVersion;
    private bool? _present;

    public EniConfSync(KubeClient kube, EniConfSyncOptions options, ILog log, InformerOptions? informerOptions = null)
    {
        _kube = kube;
        _options = options;
        _log = log;
        _informerOptions = informerOptions;
    }

    /// <summary>Watches and writes until <paramref name="cancellationToken"/> is cancelled; never throws for the API server's or the disk's failures.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var informer = new Informer<ConfigMapView>(
            _kube.ListWatch(KubeResources.ConfigMaps, _options.Namespace, KubeSelector.Named(_options.Name)),
            (_, _) =>
            {
                _changed.Writer.TryWrite(true);
                return Task.CompletedTask;
            },
            _log, _informerOptions);
        var watching = informer.RunAsync(cancellationToken);
        try
        {
            var wait = _options.Resync;
            while (!cancellationToken.IsCancellationRequested)
            {
                using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    timer.CancelAfter(wait);
                    try
                    {
                        await _changed.Reader.ReadAsync(timer.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // the resync period: compare the file anyway
                    }
                }
                if (!informer.HasSynced) continue; // nothing known yet: the file stays as it is
                wait = await ReconcileAsync(informer.Get(_options.Namespace, _options.Name), cancellationToken).ConfigureAwait(false)
                    ? _options.Resync
                    : _options.RetryAfterFailure;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await watching.ConfigureAwait(false);
    }

    /// <summary>
    /// Null when the plugin would accept <paramref name="content"/> as its eni_conf; else why not, in the plugin's words:
    /// the size limit of a config file, then <see cref="EniConf.Parse"/> (JSON, text, an object, the flags' forms).
    /// </summary>
    public static string? Check(byte[] content, string path)
    {
        if (content.Length > ConfigFile.ConfigLimit) return $"{path} would be larger than the limit of {ConfigFile.Limit(ConfigFile.ConfigLimit)}";
        try
        {
            EniConf.Parse(content, path);
            return null;
        }
        catch (CniException e)
        {
            return string.IsNullOrEmpty(e.Details) ? e.Message : $"{e.Message}: {e.Details}";
        }
    }

    /// <summary>Brings the file in line with the ConfigMap; false when the disk refused and it should be tried again soon.</summary>
    private async Task<bool> ReconcileAsync(ConfigMapView? configMap, CancellationToken cancellationToken)
    {
        var path = _options.Path;
        try
        {
            if (configMap is null || !configMap.Data.TryGetValue(_options.Key, out var value))
            {
                var removed = RemoveFile(path);
                if (removed || _present != false)
                    _log.Write(LogLevel.Warn, configMap is null ? "eni-config ConfigMap is gone: EIP feature off" : $"eni-config has no {_options.Key} key: EIP feature off",
                        ("configMap", $"{_options.Namespace}/{_options.Name}"), ("path", path), ("removed", removed));
                _present = false;
                return true;
            }
            _present = true;
            var content = Encoding.UTF8.GetBytes(value);
            if (Same(path, content)) return true;
            if (Check(content, path) is { } problem)
            {
                await RefuseAsync(configMap, problem, cancellationToken).ConfigureAwait(false);
                return true;
            }
            var directory = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            PrivateFiles.WriteAtomically(path, content, durable: true);
            _warnedVersion = null;
            var conf = EniConf.Parse(content, path);
            _log.Write(LogLevel.Info, "eni_conf written", ("configMap", $"{configMap.Namespace}/{configMap.Name}"),
                ("resourceVersion", configMap.ResourceVersion), ("path", path), ("eipFeature", conf.EnableEipPool ? "on" : "off"));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Write(LogLevel.Error, "cannot write eni_conf; trying again", ("path", path), ("error", e.Message),
                ("retryInSeconds", _options.RetryAfterFailure.TotalSeconds));
            return false;
        }
    }

    /// <summary>True when the file holds exactly this content and is safe (ours, 0600, not a link); anything else gets rewritten.</summary>
    private static bool Same(string path, byte[] content)
    {
        try
        {
            return PrivateFiles.Read(path, ConfigFile.ConfigLimit + 1, ownerOnly: true) is { } current && current.AsSpan().SequenceEqual(content);
        }
        catch (UnexpectedFileException)
        {
            return false;
        }
    }

    /// <summary>unlink: true when there was a file (or a link: never followed) to remove.</summary>
    private static bool RemoveFile(string path)
    {
        if (Libc.unlink(path) == 0) return true;
        var errno = Libc.Errno;
        if (errno == Tmds.Linux.LibC.ENOENT) return false;
        throw new IOException($"cannot remove {path}: {Libc.Describe(errno)}");
    }

    /// <summary>The old file stays; the ConfigMap gets one Warning event per refused version (best effort).</summary>
    private async Task RefuseAsync(ConfigMapView configMap, string problem, CancellationToken cancellationToken)
    {
        if (_warnedVersion == configMap.ResourceVersion) return;
        _warnedVersion = configMap.ResourceVersion;
        var message = $"{_options.Key} is not valid: {problem}. {_options.Path} keeps its previous content until the ConfigMap is fixed";
        _log.Write(LogLevel.Warn, "eni_conf refused", ("configMap", $"{configMap.Namespace}/{configMap.Name}"),
            ("resourceVersion", configMap.ResourceVersion), ("problem", problem));
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(TimeSpan.FromSeconds(10));
            await _kube.CreateEventAsync(KubeObjectRef.ConfigMap(configMap), PodEventType.Warning, InvalidReason, message, budget.Token)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is KubeException or KubeconfigException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _log.Write(LogLevel.Warn, "cannot post the EniConfInvalid event", ("error", e.Message));
        }
    }
}

using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

/// <summary>
/// A temporary credential kept in memory and in a 0600 file (<c>&lt;stateDir&gt;/credentials/cache.json</c>, directory 0700)
/// so short-lived plugin processes share it; refreshed when less than <see cref="RefreshMargin"/> remains, re-fetched
/// when the file is unreadable. One refresher at a time on the node (a file lock). Written and read through
/// <see cref="PrivateFiles"/>: a <c>credentials/</c> or <c>locks/</c> directory someone else owns or can open is refused
/// (code 5) before anything is fetched, so the secret never lands where another user can read it.
/// </summary>
public sealed class TemporaryCredentials : ICredentialSource
{
    /// <summary>Refresh when less than this remains (credentials-go uses the same 180 s).</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(3);
    private const int MaxCacheBytes = 64 * 1024;

    private readonly ITemporaryCredentialFetcher _fetcher;
    private readonly string _stateDir;
    private readonly string _cacheFile;
    private readonly string _lockFile;
    private readonly ILog _log;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CloudCredential? _current;
    private bool _directoriesReady;

    public TemporaryCredentials(ITemporaryCredentialFetcher fetcher, string stateDir, ILog log, TimeProvider time)
    {
        _fetcher = fetcher;
        _stateDir = stateDir;
        _cacheFile = Path.Combine(stateDir, "credentials", "cache.json");
        _lockFile = Path.Combine(stateDir, "locks", "credentials.lock");
        _log = log;
        _time = time;
    }

    public async ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } c && !c.ExpiresWithin(RefreshMargin, _time.GetUtcNow())) return c;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } raced && !raced.ExpiresWithin(RefreshMargin, _time.GetUtcNow())) return raced;
            EnsureDirectories();
            if (ReadCache() is { } cached) return _current = cached;
            using var held = await FileLock.AcquireAsync(_lockFile, cancellationToken).ConfigureAwait(false);
            // Another process may have refreshed while we waited for the lock.
            if (ReadCache() is { } refreshed) return _current = refreshed;
            var fresh = await _fetcher.FetchAsync(cancellationToken).ConfigureAwait(false);
            _log.Write(LogLevel.Info, "fetched a temporary cloud credential", ("source", fresh.Source),
                ("expiration", fresh.Expiration?.ToString("O", CultureInfo.InvariantCulture)));
            WriteCache(fresh);
            return _current = fresh;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Invalidate(CloudCredential rejected)
    {
        if (_current != rejected) return;
        _current = null;
        try
        {
            File.Delete(_cacheFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Write(LogLevel.Warn, "cannot delete the rejected credential cache", ("path", _cacheFile), ("error", e.GetType().Name));
        }
    }

    internal static DateTimeOffset ParseExpiration(string action, string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new CloudException(action, CloudErrorCodes.InvalidResponse, $"credential Expiration \"{text}\" is not a UTC time", null, 200);

    private void EnsureDirectories()
    {
        if (_directoriesReady || !OperatingSystem.IsLinux()) return;
        PrivateFiles.EnsureDirectory(_stateDir, "credentials");
        PrivateFiles.EnsureDirectory(_stateDir, "locks");
        _directoriesReady = true;
    }

    private CloudCredential? ReadCache()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            // ownerOnly: a cache someone else could read (or wrote) is not used, and replaced by the next write.
            if (PrivateFiles.Read(_cacheFile, MaxCacheBytes, ownerOnly: true) is not { } bytes) return null;
            var entry = JsonSerializer.Deserialize(bytes, CloudJsonContext.Default.CredentialCacheFile);
            if (entry is null || entry.Key != _fetcher.CacheKey || entry.AccessKeyId is null || entry.AccessKeySecret is null) return null;
            var credential = new CloudCredential(entry.AccessKeyId, entry.AccessKeySecret, entry.SecurityToken, entry.Expiration, entry.Source ?? "cache");
            return credential.Expiration is null || credential.ExpiresWithin(RefreshMargin, _time.GetUtcNow()) ? null : credential;
        }
        catch (UnexpectedFileException e)
        {
            _log.Write(LogLevel.Warn, "ignoring an unusable credential cache", ("path", _cacheFile), ("error", e.Message));
            return null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            _log.Write(LogLevel.Warn, "credential cache unreadable, fetching a new credential", ("path", _cacheFile), ("error", e.GetType().Name));
            return null;
        }
    }

    private void WriteCache(CloudCredential credential)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            var entry = new CredentialCacheFile(_fetcher.CacheKey, credential.Source, credential.AccessKeyId, credential.AccessKeySecret,
                credential.SecurityToken, credential.Expiration);
            PrivateFiles.WriteAtomically(_cacheFile, JsonSerializer.SerializeToUtf8Bytes(entry, CloudJsonContext.Default.CredentialCacheFile), durable: true);
        }
        catch (IOException e)
        {
            // The credential still works for this process; the next one fetches again.
            _log.Write(LogLevel.Warn, "cannot write the credential cache", ("path", _cacheFile), ("error", e.GetType().Name));
        }
    }
}

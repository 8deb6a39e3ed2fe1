using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

/// <summary>A long-lived credential handed in by configuration (eni_conf or environment).</summary>
public sealed class StaticCredentialSource : ICredentialSource
{
    private readonly CloudCredential _credential;

    public StaticCredentialSource(CloudCredential credential) => _credential = credential;

    public ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_credential);

    public void Invalidate(CloudCredential rejected) { }

    public override string ToString() => _credential.ToString();
}

/// <summary>Fetches a temporary credential from its origin (STS, the metadata service).</summary>
public interface ITemporaryCredentialFetcher
{
    /// <summary>Identifies what the credential is for (source + role); a cache entry with another key is ignored.</summary>
    string CacheKey { get; }

    Task<CloudCredential> FetchAsync(CancellationToken cancellationToken);
}

/// <summary>RRSA: exchanges the pod's OIDC token (re-read from its file every time) for a role credential with STS AssumeRoleWithOIDC.</summary>
public sealed class OidcRoleCredentialFetcher : ITemporaryCredentialFetcher
{
    private readonly OpenApiClient _anonymous;
    private readonly CloudEndpoints _endpoints;
    private readonly string _roleArn;
    private readonly string _providerArn;
    private readonly string _tokenFile;
    private readonly string _sessionName;
    private readonly TimeSpan _duration;

    public OidcRoleCredentialFetcher(OpenApiClient anonymous, CloudEndpoints endpoints, string roleArn, string providerArn,
        string tokenFile, string? sessionName, TimeSpan? duration = null)
    {
        _anonymous = anonymous;
        _endpoints = endpoints;
        _roleArn = roleArn;
        _providerArn = providerArn;
        _tokenFile = tokenFile;
        _sessionName = string.IsNullOrEmpty(sessionName) ? "eip-cni-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) : sessionName;
        _duration = duration ?? TimeSpan.FromHours(1);
    }

    public string CacheKey => "rrsa:" + _roleArn;

    public async Task<CloudCredential> FetchAsync(CancellationToken cancellationToken)
    {
        string token;
        try
        {
            // A regular file of at most 64 KiB, read without blocking: a FIFO or /dev/zero here must not hang the call.
            token = (ConfigFile.ReadText(_tokenFile, ConfigFile.TokenLimit)
                ?? throw new CloudException("AssumeRoleWithOIDC", "OidcTokenUnreadable", $"the OIDC token file {_tokenFile} does not exist", null, 0)).Trim();
        }
        catch (IOException e)
        {
            // The messages name the file and what is wrong with it, never its content.
            throw new CloudException("AssumeRoleWithOIDC", "OidcTokenUnreadable", $"cannot use the OIDC token file: {e.Message}", null, 0);
        }
        var endpoints = await _endpoints.GetAsync(cancellationToken).ConfigureAwait(false);
        var parameters = new RpcParameters()
            .Add("RoleArn", _roleArn)
            .Add("OIDCProviderArn", _providerArn)
            .Add("OIDCToken", token)
            .Add("RoleSessionName", _sessionName)
            .Add("DurationSeconds", (int)_duration.TotalSeconds);
        var call = new RpcCall(endpoints.Sts, "AssumeRoleWithOIDC", "2015-04-01", parameters, Anonymous: true);
        var response = await _anonymous.CallAsync(call, CloudJsonContext.Default.AssumeRoleWithOidcResponse, cancellationToken).ConfigureAwait(false);
        var c = response.Credentials;
        if (c is null || string.IsNullOrEmpty(c.AccessKeyId) || string.IsNullOrEmpty(c.AccessKeySecret) || string.IsNullOrEmpty(c.SecurityToken))
            throw new CloudException("AssumeRoleWithOIDC", CloudErrorCodes.InvalidResponse, "the answer has no Credentials", response.RequestId, 200);
        return new CloudCredential(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken, TemporaryCredentials.ParseExpiration("AssumeRoleWithOIDC", c.Expiration), "rrsa")
            .EnsureUsable("AssumeRoleWithOIDC");
    }
}

/// <summary>The instance RAM role's credential from the metadata service (<c>ram/security-credentials/</c>).</summary>
public sealed class EcsRamRoleCredentialFetcher : ITemporaryCredentialFetcher
{
    private readonly IInstanceMetadata _metadata;
    private string? _roleName;

    /// <param name="roleName">Null: the role attached to the instance, discovered from the metadata service.</param>
    public EcsRamRoleCredentialFetcher(IInstanceMetadata metadata, string? roleName)
    {
        _metadata = metadata;
        _roleName = string.IsNullOrEmpty(roleName) ? null : roleName;
    }

    public string CacheKey => "ecs-ram-role:" + (_roleName ?? "(attached)");

    public async Task<CloudCredential> FetchAsync(CancellationToken cancellationToken)
    {
        const string action = "metadata ram/security-credentials";
        if (_roleName is null)
        {
            var names = await _metadata.GetAsync("ram/security-credentials/", cancellationToken).ConfigureAwait(false);
            _roleName = names.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
                ?? throw new CloudException(action, "NoRamRole", "no RAM role is attached to this instance and no other credential is configured", null, 200);
        }
        // The name goes into the metadata path: a listed name with '/', '?' or a line break would read something else.
        if (Http.HeaderValues.IdentifierProblem(_roleName, 64) is { } badName)
            throw new CloudException(action, CloudErrorCodes.InvalidResponse, $"the RAM role name (ALIBABA_CLOUD_ECS_METADATA, else the metadata service's list) {badName}", null, 200);
        var text = await _metadata.GetAsync("ram/security-credentials/" + _roleName, cancellationToken).ConfigureAwait(false);
        RamRoleCredentialDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(text, CloudJsonContext.Default.RamRoleCredentialDocument);
        }
        catch (JsonException)
        {
            // The text holds secrets: say nothing about its content.
            throw new CloudException(action, CloudErrorCodes.InvalidResponse, $"the credential of role {_roleName} is not JSON", null, 200);
        }
        if (doc is null || doc.Code != "Success" || string.IsNullOrEmpty(doc.AccessKeyId) || string.IsNullOrEmpty(doc.AccessKeySecret))
            throw new CloudException(action, "RamRoleCredentialNotReady", $"the metadata service returned Code \"{doc?.Code}\" for role {_roleName}", null, 200);
        return new CloudCredential(doc.AccessKeyId, doc.AccessKeySecret, doc.SecurityToken, TemporaryCredentials.ParseExpiration(action, doc.Expiration), "ecs-ram-role")
            .EnsureUsable(action);
    }
}

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

/// <summary>
/// The credential chain, resolved on the first cloud call (a pod without an EIP costs nothing): the static AccessKey
/// from eni_conf; the environment (<c>ALIBABA_CLOUD_ACCESS_KEY_ID</c>/<c>_SECRET</c>, optional <c>_SECURITY_TOKEN</c>);
/// RRSA (<c>ALIBABA_CLOUD_ROLE_ARN</c>, <c>_OIDC_PROVIDER_ARN</c>, <c>_OIDC_TOKEN_FILE</c>); the instance RAM role.
/// </summary>
/// <remarks>
/// The first source that is CONFIGURED wins and its failures are reported as they are: a broken RRSA setup is an error
/// to fix, not a reason to silently act with the node's role instead.
/// </remarks>
public sealed class CredentialChain : ICredentialSource
{
    private readonly Func<ICredentialSource> _select;
    private readonly Lazy<ICredentialSource> _selected;

    public CredentialChain(Func<ICredentialSource> select)
    {
        _select = select;
        _selected = new Lazy<ICredentialSource>(_select, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>True once the first call chose a source (tests: nothing happens before a cloud call).</summary>
    public bool IsResolved => _selected.IsValueCreated;

    public ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken) => _selected.Value.GetAsync(cancellationToken);

    public void Invalidate(CloudCredential rejected)
    {
        if (_selected.IsValueCreated) _selected.Value.Invalidate(rejected);
    }

    /// <summary>The standard selection over options, environment, STS and the metadata service.</summary>
    public static CredentialChain Standard(CloudOptions options, Func<string, string?> environment, OpenApiClient anonymousClient,
        CloudEndpoints endpoints, IInstanceMetadata metadata, ILog log, TimeProvider time) => new(() =>
    {
        if (!string.IsNullOrEmpty(options.AccessKeyId) && !string.IsNullOrEmpty(options.AccessKeySecret))
            return Chosen(log, new StaticCredentialSource(new CloudCredential(options.AccessKeyId, options.AccessKeySecret, null, null, "eni_conf")));

        string? Env(string name) => environment(name) is { Length: > 0 } v ? v : null;
        if (Env("ALIBABA_CLOUD_ACCESS_KEY_ID") is { } id && Env("ALIBABA_CLOUD_ACCESS_KEY_SECRET") is { } secret)
            return Chosen(log, new StaticCredentialSource(new CloudCredential(id, secret, Env("ALIBABA_CLOUD_SECURITY_TOKEN"), null, "environment")));

        if (Env("ALIBABA_CLOUD_ROLE_ARN") is { } roleArn && Env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN") is { } providerArn
            && Env("ALIBABA_CLOUD_OIDC_TOKEN_FILE") is { } tokenFile)
        {
            var rrsa = new OidcRoleCredentialFetcher(anonymousClient, endpoints, roleArn, providerArn, tokenFile, Env("ALIBABA_CLOUD_ROLE_SESSION_NAME"));
            return Chosen(log, new TemporaryCredentials(rrsa, options.StateDir, log, time), "rrsa");
        }

        var role = new EcsRamRoleCredentialFetcher(metadata, Env("ALIBABA_CLOUD_ECS_METADATA"));
        return Chosen(log, new TemporaryCredentials(role, options.StateDir, log, time), "ecs-ram-role");
    });

    private static ICredentialSource Chosen(ILog log, ICredentialSource source, string? name = null)
    {
        log.Write(LogLevel.Debug, "credential source chosen", ("source", name ?? source.ToString()));
        return source;
    }
}

// Wire and file shapes that carry secrets: ToString is overridden so a stray log of one prints no secret.

internal sealed record AssumeRoleWithOidcCredentials(string? AccessKeyId, string? AccessKeySecret, string? SecurityToken, string? Expiration)
{
    public override string ToString() => nameof(AssumeRoleWithOidcCredentials);
}

internal sealed record AssumeRoleWithOidcResponse(string? RequestId, AssumeRoleWithOidcCredentials? Credentials);

internal sealed record RamRoleCredentialDocument(string? AccessKeyId, string? AccessKeySecret, string? SecurityToken, string? Expiration, string? LastUpdated, string? Code)
{
    public override string ToString() => nameof(RamRoleCredentialDocument);
}

internal sealed record CredentialCacheFile(string Key, string? Source, string? AccessKeyId, string? AccessKeySecret, string? SecurityToken, DateTimeOffset? Expiration)
{
    public override string ToString() => nameof(CredentialCacheFile);
}

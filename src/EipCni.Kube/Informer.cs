using System.Diagnostics;

namespace EipCni.Kube;

/// <summary>
/// A cache of one collection kept in step with the API server, as client-go's reflector does: list, then watch from the
/// list's resourceVersion (with bookmarks); when a watch ends, watch again from the last resourceVersion seen; when the
/// server says that version is too old (410 Expired), list again and tell the handler what the re-list changed. Failed
/// lists and watches are retried with jittered exponential backoff, for as long as <see cref="RunAsync"/> runs.
/// </summary>
/// <remarks>
/// The handler is called on the informer's loop, one event at a time, after the cache has the change: it may read
/// <see cref="Get"/> and <see cref="Snapshot"/>. A handler that throws is logged and the informer goes on; a slow one
/// delays the next events (the watch stream waits in the socket).
/// </remarks>
public sealed class Informer<T> where T : class, IKubeObject
{
    private readonly ListWatch<T> _source;
    private readonly Func<InformerEvent<T>, CancellationToken, Task> _handler;
    private readonly ILog _log;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Namespace, string Name), T> _items = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _resourceVersion;

    public Informer(ListWatch<T> source, Func<InformerEvent<T>, CancellationToken, Task> handler, ILog log,
        InformerOptions? options = null, TimeProvider? time = null)
    {
        _source = source;
        _handler = handler;
        _log = log;
        _options = options ?? new InformerOptions();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>True once the first list has been applied.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Completes when the first list has been applied.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>The resourceVersion the cache is at (null before the first list).</summary>
    public string? ResourceVersion
    {
        get { lock (_gate) return _resourceVersion; }
    }

    /// <summary>The cached object, or null.</summary>
    public T? Get(string ns, string name)
    {
        lock (_gate) return _items.GetValueOrDefault((ns, name));
    }

    /// <summary>A copy of the cached objects.</summary>
    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate) return _items.Values.ToList();
    }

    /// <summary>Lists and watches until <paramref name="cancellationToken"/> is cancelled; never throws for the server's failures.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var policy = _options.Backoff;
        var failures = 0;
        var mustList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (mustList)
                {
                    await ListAsync(cancellationToken).ConfigureAwait(false);
                    mustList = false;
                    failures = 0;
                }
                if (await WatchAsync(cancellationToken).ConfigureAwait(false))
                {
                    failures = 0;
                    continue;
                }
                failures++;
                _log.Write(LogLevel.Warn, "watch ended at once without an event; backing off", ("watch", _source.Description), ("failures", failures));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (KubeException e) when (e.StatusCode == 410)
            {
                // The history no longer reaches our resourceVersion: what happened meanwhile only a list can tell.
                _log.Write(LogLevel.Info, "watch expired; listing again", ("watch", _source.Description), ("resourceVersion", ResourceVersion),
                    ("error", e.ServerMessage));
                mustList = true;
                continue;
            }
            catch (Exception e) when (e is KubeException or KubeconfigException or IOException or HttpRequestException)
            {
                failures++;
                _log.Write(LogLevel.Warn, mustList ? "list failed" : "watch failed", ("watch", _source.Description), ("failures", failures),
                    ("error", e.Message));
            }
            if (!await policy.WaitAsync(failures, null, _time, cancellationToken).ConfigureAwait(false)) break;
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var list = await _source.List(cancellationToken).ConfigureAwait(false);
        var changes = new List<InformerEvent<T>>();
        lock (_gate)
        {
            var listed = new HashSet<(string, string)>();
            foreach (var item in list.Items)
            {
                var key = (item.Namespace, item.Name);
                listed.Add(key);
                if (!_items.TryGetValue(key, out var cached)) changes.Add(new(InformerEventKind.Added, item));
                else if (cached.ResourceVersion != item.ResourceVersion) changes.Add(new(InformerEventKind.Updated, item));
                _items[key] = item;
            }
            foreach (var (key, gone) in _items.Where(e => !listed.Contains(e.Key)).ToList())
            {
                _items.Remove(key);
                changes.Add(new(InformerEventKind.Deleted, gone));
            }
            _resourceVersion = list.ResourceVersion;
        }
        _log.Write(LogLevel.Debug, "listed", ("watch", _source.Description), ("items", list.Items.Count), ("resourceVersion", list.ResourceVersion));
        _synced.TrySetResult();
        foreach (var change in changes) await NotifyAsync(change, cancellationToken).ConfigureAwait(false);
        await NotifyAsync(new(InformerEventKind.Synced, null), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One watch from the cache's resourceVersion; false when the server ended it at once without an event.</summary>
    private async Task<bool> WatchAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var timeout = _options.WatchTimeout * (1 + Random.Shared.NextDouble());
        var options = new WatchOptions { Timeout = timeout, Bookmarks = true };
        var events = 0;
        await foreach (var e in _source.Watch(ResourceVersion ?? "", options, cancellationToken).ConfigureAwait(false))
        {
            events++;
            InformerEvent<T>? change = null;
            lock (_gate)
            {
                _resourceVersion = e.ResourceVersion;
                if (e.Object is { } item)
                {
                    var key = (item.Namespace, item.Name);
                    if (e.Type == WatchEventType.Deleted)
                        change = _items.Remove(key) ? new(InformerEventKind.Deleted, item) : null;
                    else
                    {
                        var known = _items.TryGetValue(key, out var cached);
                        _items[key] = item;
                        change = !known ? new(InformerEventKind.Added, item)
                            : cached!.ResourceVersion != item.ResourceVersion ? new(InformerEventKind.Updated, item) : null;
                    }
                }
            }
            if (change is not null) await NotifyAsync(change, cancellationToken).ConfigureAwait(false);
        }
        return events > 0 || Stopwatch.GetElapsedTime(started) >= _options.ShortestWatch;
    }

    private async Task NotifyAsync(InformerEvent<T> change, CancellationToken cancellationToken)
    {
        try
        {
            await _handler(change, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The cache stays right; only this handler's reaction to one change is lost, and the log says so.
            _log.Write(LogLevel.Error, "informer handler failed", ("watch", _source.Description), ("kind", change.Kind.ToString()),
                ("object", change.Object is { } o ? $"{o.Namespace}/{o.Name}" : null), ("error", e.ToString()));
        }
    }
}

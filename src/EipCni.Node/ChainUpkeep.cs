namespace EipCni.Node;

/// <summary>
/// Keeps eip-cni chained while the agent runs: watches the CNI conf dir (inotify, through
/// <see cref="FileSystemWatcher"/>) and re-applies <see cref="ChainInstaller.Install"/> shortly after anything changes
/// there — Terway rewriting its conflist when it restarts, an upgrade, an operator's edit. A re-check every
/// <see cref="SafetyInterval"/> covers events the kernel dropped (a full inotify queue).
/// </summary>
/// <remarks>
/// It never loops on its own writes: an install that finds the chain in place reads, compares and writes nothing, so
/// the events of its own rename are answered by one no-op pass. Changes that arrive together (a rewrite is often a
/// create, a write and a rename) are taken as one, after <see cref="Settle"/> of quiet.
/// </remarks>
public sealed class ChainUpkeep(ChainInstaller installer, InstallOptions options, ILog log)
{
    /// <summary>Quiet time after the last event before the chain is re-applied.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan SafetyInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Counts installs that changed something (re-chains), for the metrics.</summary>
    public int Reapplied => _reapplied;

    /// <summary>Raised after each pass with what it changed (empty when nothing was needed).</summary>
    public event Action<InstallOutcome>? Applied;

    private int _reapplied;

    public async Task RunAsync(CancellationToken ct)
    {
        var signal = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(options.CniConfDir)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            InternalBufferSize = 64 * 1024,
        };
        void Poke(object? _, EventArgs __) => signal.Release();
        watcher.Changed += Poke;
        watcher.Created += Poke;
        watcher.Deleted += Poke;
        watcher.Renamed += Poke;
        watcher.Error += (_, e) =>
        {
            log.Write(LogLevel.Warn, "conf dir watch overflowed; re-checking the chain", ("error", e.GetException().Message));
            signal.Release();
        };
        watcher.EnableRaisingEvents = true;

        Apply("start");
        while (!ct.IsCancellationRequested)
        {
            var poked = await signal.WaitAsync(SafetyInterval, ct).ConfigureAwait(false);
            if (poked)
            {
                // Let a burst of events settle, then drain them: one pass answers all.
                do await Task.Delay(Settle, ct).ConfigureAwait(false);
                while (signal.CurrentCount > 0 && Drain(signal));
            }
            Apply(poked ? "conf dir changed" : "periodic check");
        }
    }

    private static bool Drain(SemaphoreSlim signal)
    {
        var any = false;
        while (signal.Wait(0)) any = true;
        return any;
    }

    private void Apply(string why)
    {
        try
        {
            var outcome = installer.Install(options);
            if (outcome.Changes.Count > 0)
            {
                Interlocked.Increment(ref _reapplied);
                foreach (var change in outcome.Changes)
                    log.Write(LogLevel.Info, "chain re-applied", ("why", why), ("change", change.Description));
            }
            Applied?.Invoke(outcome);
        }
        catch (Exception e) when (e is InstallRefusedException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            // The primary plugin may not have written its config yet, or wrote a broken one: nothing is written, and the
            // next change of the conf dir tries again.
            log.Write(LogLevel.Warn, "cannot chain eip-cni yet", ("why", why), ("error", e.Message));
        }
    }
}

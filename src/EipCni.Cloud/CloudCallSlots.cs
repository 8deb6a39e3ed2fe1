using System.Globalization;

namespace EipCni.Cloud;

/// <summary>
/// Node-wide cap on concurrent mutating cloud calls, shared by every eip-cni process: N lock files
/// <c>&lt;stateDir&gt;/locks/cloud-slot-K.lock</c>; holding one's lock is holding a slot. The kernel frees the
/// slot if the holder dies, so a crashed invocation can never leak one.
/// </summary>
public sealed class CloudCallSlots : ICloudCallGate
{
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(100);
    private readonly string _stateDir;
    private readonly string[] _paths;
    private bool _directoryReady;

    public CloudCallSlots(string stateDir, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _stateDir = stateDir;
        _paths = Enumerable.Range(0, slots)
            .Select(i => Path.Combine(stateDir, "locks", "cloud-slot-" + i.ToString(CultureInfo.InvariantCulture) + ".lock"))
            .ToArray();
    }

    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        // Start at a process-dependent slot so concurrent invocations do not all probe slot 0 first.
        var start = Environment.ProcessId % _paths.Length;
        if (!_directoryReady)
        {
            PrivateFiles.EnsureDirectory(_stateDir, "locks");
            _directoryReady = true;
        }
        var interval = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var i = 0; i < _paths.Length; i++)
            {
                var held = FileLock.TryAcquire(_paths[(start + i) % _paths.Length]);
                if (held is not null) return held;
            }
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxPollInterval.Ticks));
        }
    }
}

namespace EipCni.Tests.Fakes;

/// <summary>
/// A clock for unit tests: it moves only when told (<see cref="Advance"/>) or, with <see cref="AutoAdvance"/> on,
/// when someone waits on it — a timer created for <c>d</c> moves the clock to (its creation time + d) and fires at
/// once. So the engine's poll loops run at full speed while the time they see, and the fake cloud's state machine
/// driven by the same clock, pass as if the waits were real.
/// </summary>
/// <remarks>
/// Budgets the engine builds on the real clock (<c>new CancellationTokenSource(TimeSpan)</c>) stay real: a test that
/// lets a loop run until such a budget ends spins for that long in real time.
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<(DateTimeOffset Due, CancellationTokenSource Cts)> _deadlines = [];
    private DateTimeOffset _now;

    public ManualTimeProvider(DateTimeOffset? start = null) => _now = start ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>True (the default): a created timer advances the clock to its due time and fires.</summary>
    public bool AutoAdvance { get; set; } = true;

    /// <summary>Timers fired so far (each a wait the code under test did).</summary>
    public int TimersFired { get; private set; }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by), "time only moves forward");
        DateTimeOffset now;
        lock (_gate) now = _now += by;
        CancelDue(now);
    }

    /// <summary>
    /// A token cancelled once this clock has moved <paramref name="after"/> past now — by <see cref="Advance"/> or by
    /// the waits of the code under test. Unlike a timer it never moves the clock itself, so it can stand for a verb's
    /// budget: a poll loop that never ends runs into it after the fake time it waited, at full speed.
    /// </summary>
    public CancellationToken Deadline(TimeSpan after)
    {
        var cts = new CancellationTokenSource();
        lock (_gate) _deadlines.Add((_now + after, cts));
        return cts.Token;
    }

    /// <summary>Moves the clock to <paramref name="at"/> unless it is already later.</summary>
    private void AdvanceTo(DateTimeOffset at)
    {
        DateTimeOffset now;
        lock (_gate)
        {
            if (at > _now) _now = at;
            now = _now;
        }
        CancelDue(now);
    }

    private void CancelDue(DateTimeOffset now)
    {
        List<CancellationTokenSource> due;
        lock (_gate)
        {
            due = _deadlines.Where(d => d.Due <= now).Select(d => d.Cts).ToList();
            _deadlines.RemoveAll(d => d.Due <= now);
        }
        foreach (var cts in due) cts.Cancel();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class Timer : ITimer
    {
        private readonly ManualTimeProvider _owner;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly object _sync = new();
        private int _generation;
        private bool _disposed;

        public Timer(ManualTimeProvider owner, TimerCallback callback, object? state)
        {
            _owner = owner;
            _callback = callback;
            _state = state;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            int generation;
            lock (_sync)
            {
                if (_disposed) return false;
                generation = ++_generation;
            }
            if (dueTime == Timeout.InfiniteTimeSpan || !_owner.AutoAdvance) return true;
            var due = _owner.GetUtcNow() + dueTime;
            // Never inline: Task.Delay stores the timer only after CreateTimer returns.
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                lock (_sync)
                {
                    if (_disposed || generation != _generation) return;
                }
                _owner.AdvanceTo(due);
                lock (_owner._gate) _owner.TimersFired++;
                _callback(_state);
            }, null);
            return true;
        }

        public void Dispose()
        {
            lock (_sync) _disposed = true;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

namespace EipCni.Node;

/// <summary>The wait between two passes of the agent's loops: a stop is the loop's normal end, not an error.</summary>
public static class Pause
{
    /// <summary>Waits <paramref name="time"/>; false when <paramref name="ct"/> ended the wait (the loop should return).</summary>
    public static async Task<bool> ForAsync(TimeSpan time, TimeProvider clock, CancellationToken ct)
    {
        try
        {
            await Task.Delay(time, clock, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }
}

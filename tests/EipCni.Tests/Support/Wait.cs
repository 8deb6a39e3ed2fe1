using System.Diagnostics;

namespace EipCni.Tests.Support;

/// <summary>Bounded polling for what a simulator shows after an asynchronous transition.</summary>
public static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails the test with <paramref name="what"/> after the timeout.</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"gave up after {timeout.TotalSeconds:0} s waiting for: {what}");
            Thread.Sleep(50);
        }
    }
}

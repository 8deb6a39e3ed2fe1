using EipCni.Http;

namespace EipCni.Tests.Http;

/// <summary>The one retry policy the cloud, metadata and Kubernetes clients share.</summary>
public class RetryPolicyTests
{
    private static readonly RetryPolicy Policy = new(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(1, 50, 100)]
    [InlineData(2, 100, 200)]
    [InlineData(3, 200, 400)]
    [InlineData(4, 400, 800)]
    [InlineData(5, 500, 1000)] // capped at MaxBackoff
    [InlineData(40, 500, 1000)]
    public void Backoff_doubles_with_equal_jitter_up_to_the_cap(int attempt, int min, int max)
    {
        var random = new Random(attempt);
        for (var i = 0; i < 200; i++)
        {
            var d = Policy.Delay(attempt, null, random).TotalMilliseconds;
            Assert.InRange(d, min, max);
        }
    }

    [Fact]
    public void A_servers_retry_after_wins_capped_and_spread_by_at_most_a_tenth()
    {
        var random = new Random(1);
        Assert.InRange(Policy.Delay(1, TimeSpan.FromSeconds(3), random).TotalMilliseconds, 3000, 3300);
        Assert.InRange(Policy.Delay(1, TimeSpan.FromMinutes(30), random).TotalMilliseconds, 10_000, 11_000);
        Assert.InRange(Policy.Delay(1, TimeSpan.Zero, random).TotalMilliseconds, 50, 100); // "0" is no advice: back off
    }

    [Fact]
    public void Attempts_are_counted_including_the_first()
    {
        Assert.True(Policy.MayRetry(4));
        Assert.False(Policy.MayRetry(5));
    }

    [Fact]
    public async Task Waiting_ends_false_when_the_budget_ends_first()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        var slow = new RetryPolicy(3, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.Zero);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(await slow.WaitAsync(1, null, TimeProvider.System, cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.True(await Policy.WaitAsync(1, null, TimeProvider.System, CancellationToken.None));
    }
}

using System.Net;
using EipCni.Cloud;

namespace EipCni.Tests.Cloud;

public sealed class CloudCallSlotsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "eipcni-slots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public async Task NPlusFirstSlotWaitsUntilOneIsFreed()
    {
        var slots = new CloudCallSlots(_dir, 2);
        var a = await slots.EnterAsync(default);
        var b = await slots.EnterAsync(default);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_dir, "locks"), "cloud-slot-*.lock").Length);
        var third = slots.EnterAsync(default).AsTask();
        await Task.Delay(200);
        Assert.False(third.IsCompleted);
        b.Dispose();
        using var c = await third.WaitAsync(TimeSpan.FromSeconds(5));
        a.Dispose();
    }

    [Fact]
    public async Task SlotsAreSharedBetweenIndependentInstances()
    {
        // Two instances stand for two plugin processes: the files, not the objects, are the shared state.
        using var held = await new CloudCallSlots(_dir, 1).EnterAsync(default);
        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new CloudCallSlots(_dir, 1).EnterAsync(budget.Token).AsTask());
    }

    [Fact]
    public async Task MutatingCallBeyondTheCapWaitsForAFreeSlot()
    {
        var release = new TaskCompletionSource();
        var handler = new FakeHandler(async (r, _, ct) =>
        {
            if (r.Query["AllocationId"] != "eip-late") await release.Task.WaitAsync(ct);
            return FakeHandler.Ok();
        });
        var client = TestCloud.Client(handler, gate: new CloudCallSlots(_dir, 2));
        RpcCall Call(string id, bool mutating = true) =>
            new(new Uri("https://vpc.example.test"), "ReleaseEipAddress", "2016-04-28", new RpcParameters().Add("AllocationId", id), mutating);

        var first = client.CallAsync(Call("eip-1"), CloudJsonContext.Default.CloudAck, default);
        var second = client.CallAsync(Call("eip-2"), CloudJsonContext.Default.CloudAck, default);
        await WaitUntil(() => handler.Requests.Count == 2);
        var third = client.CallAsync(Call("eip-late"), CloudJsonContext.Default.CloudAck, default);
        // Reads are never capped.
        await client.CallAsync(Call("eip-late", mutating: false), CloudJsonContext.Default.CloudAck, default);
        await Task.Delay(200);
        Assert.False(third.IsCompleted);
        Assert.Equal(3, handler.Requests.Count);

        release.SetResult();
        await Task.WhenAll(first, second, third).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(4, handler.Requests.Count);
    }

    [Fact]
    public async Task WaitingForASlotEndsWithTheBudget()
    {
        using var held = await new CloudCallSlots(_dir, 1).EnterAsync(default);
        var handler = new FakeHandler((_, _) => FakeHandler.Ok());
        var client = TestCloud.Client(handler, gate: new CloudCallSlots(_dir, 1));
        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var e = await Assert.ThrowsAsync<CloudException>(() => client.CallAsync(
            new RpcCall(new Uri("https://vpc.example.test"), "ReleaseEipAddress", "2016-04-28", new RpcParameters(), Mutating: true),
            CloudJsonContext.Default.CloudAck, budget.Token));
        Assert.Equal(CloudErrorCodes.DeadlineExceeded, e.Code);
        Assert.Empty(handler.Requests);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 250 && !condition(); i++) await Task.Delay(20);
        Assert.True(condition());
    }
}

namespace KubeSim.Tests;

/// <summary>A test class on the collection's simulator: a fresh state before each test and an API client with the admin token.</summary>
public abstract class SimTest(KubeSimFixture fixture) : IAsyncLifetime, IDisposable
{
    protected KubeSimServer Sim { get; } = fixture.Server;
    protected KubeApi Api { get; } = new(fixture.Server.CreateClient(fixture.Server.Token));

    public virtual Task InitializeAsync() => Sim.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    public virtual void Dispose()
    {
        Api.Dispose();
        GC.SuppressFinalize(this);
    }
}

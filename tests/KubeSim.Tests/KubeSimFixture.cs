namespace KubeSim.Tests;

/// <summary>One simulator for the collection, started with <see cref="KubeSimServer.TestOptions"/>.</summary>
public sealed class KubeSimFixture : IAsyncLifetime
{
    private KubeSimServer? _server;

    public KubeSimServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await KubeSimServer.StartAsync(KubeSimServer.TestOptions);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

[CollectionDefinition("kubesim")]
public sealed class KubeSimCollection : ICollectionFixture<KubeSimFixture>;

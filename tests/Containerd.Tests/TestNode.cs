using CriClient;

namespace ContainerdTests;

/// <summary>
/// One node for one test: a CNI network, then (once its conflist is written) a private containerd on it, both bounded
/// by the test's time budget and torn down together.
/// </summary>
public sealed class TestNode(string subnet, ContainerdOptions? options = null) : IAsyncDisposable
{
    private readonly CancellationTokenSource _budget = new(TimeSpan.FromSeconds(90));
    private Containerd? _containerd;

    public CniNetwork Net { get; } = new(subnet);

    /// <summary>Cancelled when the test's budget is spent.</summary>
    public CancellationToken Ct => _budget.Token;

    public Containerd Containerd => _containerd ?? throw new InvalidOperationException("StartAsync first");

    public CriRuntime Cri => Containerd.Cri;

    /// <summary>A recording plugin in the bin dir, logging to the network's directory.</summary>
    public CniRecorder Recorder(string type) => CniRecorder.Install(Net.BinDir, type, Path.Combine(Net.Dir, type + ".jsonl"));

    /// <summary>Starts containerd on the conflist written so far.</summary>
    public async Task<CriRuntime> StartAsync()
    {
        _containerd = await Containerd.StartAsync(Net.BinDir, Net.ConfDir, options, Ct);
        return _containerd.Cri;
    }

    public async ValueTask DisposeAsync()
    {
        if (_containerd is not null) await _containerd.DisposeAsync();
        Net.Dispose();
        _budget.Dispose();
    }
}

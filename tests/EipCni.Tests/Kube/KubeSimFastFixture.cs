using EipCni.Kube;

namespace EipCni.Tests.Kube;

/// <summary>
/// KubeSim with time-bound behaviour made quick to observe, for watches, informers, leader election and token rotation:
/// 1-second tokens accepted and not honoured past their expiry, bookmarks every 0.3 s, a history of 50 changes per type.
/// </summary>
public sealed class KubeSimFastFixture : KubeSimFixture
{
    protected override IEnumerable<string> Options =>
        ["--min-token-seconds", "1", "--token-leeway-seconds", "0", "--bookmark-seconds", "0.3", "--watch-history", "50"];

    /// <summary>Short backoffs and timeouts, the agent's component name, node node-a.</summary>
    public static readonly KubeClientOptions QuickClient = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(5),
        NodeName = "node-a",
        Component = "eip-cni-agent",
    };

    /// <summary>The product's client with the simulator's admin kubeconfig (or <paramref name="config"/>) and <see cref="QuickClient"/>.</summary>
    public KubeClient Client(EipCni.Kube.Kubeconfig? config = null) =>
        new(config ?? EipCni.Kube.Kubeconfig.Load(Kubeconfig), NullLog.Instance, QuickClient);

    /// <summary>A test's budget for one call.</summary>
    public static CancellationToken Budget(double seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}

/// <summary>Tests on the quick simulator run one after another: several of them measure time.</summary>
[CollectionDefinition("kubesim-fast")]
public sealed class KubeSimFastCollection : ICollectionFixture<KubeSimFastFixture>;

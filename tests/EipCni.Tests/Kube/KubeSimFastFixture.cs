namespace EipCni.Tests.Kube;

/// <summary>
/// KubeSim with time-bound behaviour made quick to observe, for watches, informers, leader election and token rotation:
/// 1-second tokens accepted and not honoured past their expiry, bookmarks every 0.3 s, a history of 50 changes per type.
/// </summary>
public sealed class KubeSimFastFixture : KubeSimFixture
{
    protected override IEnumerable<string> Options =>
        ["--min-token-seconds", "1", "--token-leeway-seconds", "0", "--bookmark-seconds", "0.3", "--watch-history", "50"];
}

/// <summary>Tests on the quick simulator run one after another: several of them measure time.</summary>
[CollectionDefinition("kubesim-fast")]
public sealed class KubeSimFastCollection : ICollectionFixture<KubeSimFastFixture>;

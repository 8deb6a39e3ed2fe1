namespace EipCni.Kube;

/// <summary>
/// How an <see cref="Informer{T}"/> reads one collection: a list (a consistent read of the current state) and a watch from
/// a resourceVersion. <see cref="KubeClient.ListWatch{T}"/> makes one; tests may pass their own.
/// </summary>
public sealed record ListWatch<T>(
    Func<CancellationToken, Task<KubeList<T>>> List,
    Func<string, WatchOptions, CancellationToken, IAsyncEnumerable<WatchEvent<T>>> Watch,
    string Description) where T : class, IKubeObject;

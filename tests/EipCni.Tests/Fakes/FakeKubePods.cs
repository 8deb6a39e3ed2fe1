using System.Collections.Concurrent;
using EipCni.Kube;

namespace EipCni.Tests.Fakes;

/// <summary>
/// An in-memory <see cref="IKubePods"/>: pods the test adds, every annotation patch, condition patch and event
/// recorded in order. A missing pod is a 404 like the API server's; <see cref="FailPatches"/> scripts write-back
/// failures.
/// </summary>
public sealed class FakeKubePods : IKubePods
{
    private readonly ConcurrentDictionary<(string Ns, string Name), PodView> _pods = new();
    private readonly ConcurrentQueue<PodEvent> _events = new();
    private readonly ConcurrentQueue<(string Ns, string Name, IReadOnlyDictionary<string, string?> Annotations)> _patches = new();
    private readonly ConcurrentQueue<(string Ns, string Name, string Type, string Status, string Reason)> _conditions = new();

    /// <summary>When set, every patch fails with this exception (e.g. a 403 or a 503).</summary>
    public KubeException? FailPatches { get; set; }

    /// <summary>When set, every event fails with this exception (events are best effort: the verb must not care).</summary>
    public KubeException? FailEvents { get; set; }

    public int PodReads { get; private set; }

    /// <summary>Pod and node lists served (the agent's GC and sweep).</summary>
    public int ListCalls { get; private set; }

    /// <summary>When set, the lists fail with this exception (an API server that is down: status 0, ConnectionFailed).</summary>
    public KubeException? FailLists { get; set; }

    /// <summary>Runs as a list is served, before its answer is made (a test's way to act "while the agent lists").</summary>
    public Action? OnList { get; set; }

    /// <summary>The Node objects that exist.</summary>
    public HashSet<string> Nodes { get; } = new(StringComparer.Ordinal) { "node-1" };

    public PodView AddPod(string ns, string name, IReadOnlyDictionary<string, string>? annotations = null,
        string? ownerKind = null, IReadOnlyList<string>? readinessGates = null, string uid = "uid-1", string? node = "node-1",
        IReadOnlyList<string>? ips = null, string phase = "Pending")
    {
        var owners = ownerKind is null ? Array.Empty<PodOwner>() : [new PodOwner("apps/v1", ownerKind, name + "-owner", "owner-uid", true)];
        var pod = new PodView(ns, name, uid, "1", node, phase,
            annotations ?? new Dictionary<string, string>(), new Dictionary<string, string>(), owners,
            readinessGates ?? [], [], ips ?? []);
        _pods[(ns, name)] = pod;
        return pod;
    }

    /// <summary>The pod is deleted from the API server.</summary>
    public void RemovePod(string ns, string name) => _pods.TryRemove((ns, name), out _);

    /// <summary>The API server's answer as an unreachable one looks to the client.</summary>
    public static KubeException Unreachable() =>
        new(0, "ConnectionFailed", "127.0.0.1:6443: Connection refused", "GET", "/api/v1/pods", 8);

    /// <summary>Adds a plain pod unless one of that name exists.</summary>
    public void EnsurePod(string ns, string name)
    {
        if (!_pods.ContainsKey((ns, name))) AddPod(ns, name, uid: "uid-" + name);
    }

    public IReadOnlyList<PodEvent> Events => _events.ToList();
    public IReadOnlyList<(string Ns, string Name, IReadOnlyDictionary<string, string?> Annotations)> AnnotationPatches => _patches.ToList();
    public IReadOnlyList<(string Ns, string Name, string Type, string Status, string Reason)> ConditionPatches => _conditions.ToList();

    /// <summary>Events are posted in the background: waits (real time) until one with <paramref name="reason"/> arrived.</summary>
    public async Task<PodEvent> WaitForEventAsync(string reason, int timeoutMs = 5000)
    {
        var until = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            var found = _events.FirstOrDefault(e => e.Reason == reason);
            if (found is not null) return found;
            if (Environment.TickCount64 > until)
                throw new Xunit.Sdk.XunitException($"no {reason} event; got [{string.Join(", ", _events.Select(e => e.Reason))}]");
            await Task.Delay(10);
        }
    }

    public Task<PodView> GetPodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        PodReads++;
        return _pods.TryGetValue((ns, name), out var pod)
            ? Task.FromResult(pod)
            : throw NotFound("GET", ns, name);
    }

    public Task<IReadOnlyList<PodView>> ListPodsAsync(string? nodeName, CancellationToken cancellationToken)
    {
        ListCalls++;
        if (FailLists is { } fail) throw fail;
        OnList?.Invoke();
        IReadOnlyList<PodView> pods = _pods.Values.Where(p => nodeName is null || p.NodeName == nodeName)
            .OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
        return Task.FromResult(pods);
    }

    public Task<IReadOnlyList<string>> ListNodeNamesAsync(CancellationToken cancellationToken)
    {
        ListCalls++;
        if (FailLists is { } fail) throw fail;
        IReadOnlyList<string> nodes = Nodes.Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(nodes);
    }

    public Task<PodView> PatchPodAnnotationsAsync(string ns, string name, IReadOnlyDictionary<string, string?> annotations, CancellationToken cancellationToken)
    {
        if (FailPatches is { } fail) throw fail;
        if (!_pods.TryGetValue((ns, name), out var pod)) throw NotFound("PATCH", ns, name);
        _patches.Enqueue((ns, name, annotations));
        var merged = new Dictionary<string, string>(pod.Annotations);
        foreach (var (k, v) in annotations)
            if (v is null) merged.Remove(k);
            else merged[k] = v;
        return Task.FromResult(_pods[(ns, name)] = pod with { Annotations = merged });
    }

    public Task<PodView> PatchPodConditionAsync(string ns, string name, string type, string status, string reason, string message, CancellationToken cancellationToken)
    {
        if (FailPatches is { } fail) throw fail;
        if (!_pods.TryGetValue((ns, name), out var pod)) throw NotFound("PATCH", ns, name);
        _conditions.Enqueue((ns, name, type, status, reason));
        return Task.FromResult(pod);
    }

    public Task<string> CreateEventAsync(PodEvent podEvent, CancellationToken cancellationToken)
    {
        if (FailEvents is { } fail) throw fail;
        _events.Enqueue(podEvent);
        return Task.FromResult($"{podEvent.PodName}.{_events.Count}");
    }

    private static KubeException NotFound(string method, string ns, string name) =>
        new(404, "NotFound", $"pods \"{name}\" is absent", method, $"/api/v1/namespaces/{ns}/pods/{name}", 1);
}

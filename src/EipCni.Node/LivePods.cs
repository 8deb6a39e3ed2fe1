using EipCni.Cni;
using EipCni.Kube;
using EipCni.State;

namespace EipCni.Node;

/// <summary>
/// The pods the API server showed, indexed the ways the node GC and the cluster sweep ask: by UID, by
/// namespace/name, by IP, and the EIPs pods name as their own (<c>pod-eip-instanceid</c>).
/// </summary>
public sealed class LivePods
{
    /// <summary>
    /// On a static pod's mirror: the UID the kubelet gave the static pod, which is what the runtime passes to CNI as
    /// K8S_POD_UID; the mirror object in the API server has a UID of its own.
    /// </summary>
    public const string MirrorAnnotation = "kubernetes.io/config.mirror";

    private readonly Dictionary<string, PodView> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<PodView>> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<PodView>> _byIp = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodView> _namedEips = new(StringComparer.Ordinal);

    public LivePods(IEnumerable<PodView> pods)
    {
        foreach (var pod in pods)
        {
            Count++;
            if (pod.Uid.Length > 0) _byUid[pod.Uid] = pod;
            if (pod.Annotations.TryGetValue(MirrorAnnotation, out var mirrored) && mirrored.Length > 0) _byUid.TryAdd(mirrored, pod);
            var name = $"{pod.Namespace}/{pod.Name}";
            if (!_byName.TryGetValue(name, out var same)) _byName[name] = same = [];
            same.Add(pod);
            foreach (var ip in pod.PodIPs)
            {
                if (!_byIp.TryGetValue(ip, out var holders)) _byIp[ip] = holders = [];
                holders.Add(pod);
            }
            // Every spelling counts, not only the one the engine would pick: a user EIP is never touched.
            foreach (var key in new[] { EipAnnotationNames.NewPrefix + EipAnnotationNames.PodEipInstanceId,
                         EipAnnotationNames.OldPrefix + EipAnnotationNames.PodEipInstanceId, EipAnnotationNames.CompatInstanceId })
                if (pod.Annotations.TryGetValue(key, out var id) && id.Trim().Length > 0) _namedEips[id.Trim()] = pod;
        }
    }

    public int Count { get; }

    /// <summary>The pod with this UID (a static pod's mirror answers to the kubelet's UID too).</summary>
    public PodView? ByUid(string uid) => _byUid.GetValueOrDefault(uid);

    /// <summary>Pods named <c>namespace/name</c> (more than one only while an old one is still being deleted).</summary>
    public IReadOnlyList<PodView> ByName(string namespacedName) => _byName.GetValueOrDefault(namespacedName) ?? [];

    /// <summary>The pods whose status shows this IP (a finished pod and the one that got its IP next can both show it).</summary>
    public IReadOnlyList<PodView> ByIp(string ip) => _byIp.GetValueOrDefault(ip) ?? [];

    /// <summary>The pod that names this EIP in its <c>pod-eip-instanceid</c> annotation (a user-specified EIP).</summary>
    public PodView? Naming(string allocationId) => _namedEips.GetValueOrDefault(allocationId);

    /// <summary>
    /// Is the record's pod among these? By UID when the record has one, else by namespace/name. A record that names no
    /// pod at all cannot be judged, so it counts as live: the node GC never gives back what it cannot tie to a pod.
    /// </summary>
    public bool Holds(AttachmentRecord record)
    {
        if (!string.IsNullOrEmpty(record.PodUid)) return ByUid(record.PodUid) is not null;
        if (record.PodNamespace is { } ns && record.PodName is { } name) return ByName($"{ns}/{name}").Count > 0;
        return true;
    }
}

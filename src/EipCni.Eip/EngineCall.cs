using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// What one engine call works on, taken once from the CNI call (config, eni_conf, env): the verbs never reach into
/// the raw config or the environment.
/// </summary>
public sealed record EngineCall
{
    public required AttachmentKey Key { get; init; }
    public required string StateDir { get; init; }

    /// <summary>The kubeconfig's path, for error texts (the client is built by the composition root).</summary>
    public string Kubeconfig { get; init; } = "";

    /// <summary>The configured cluster ID (plugin config, else eni_conf); null when neither sets one or eni_conf's is invalid.</summary>
    public string? ClusterId { get; init; }

    /// <summary>Why <see cref="ClusterId"/> is null although eni_conf names one: only work that needs it fails with it.</summary>
    public CniException? ClusterIdError { get; init; }

    public string? PodNamespace { get; init; }
    public string? PodName { get; init; }
    public string? PodUid { get; init; }

    /// <summary>The pod's IPv4 on <see cref="AttachmentKey.IfName"/> from prevResult; null when prevResult has none.</summary>
    public string? PodIp { get; init; }

    /// <summary>Annotations the runtime passed (runtimeConfig); null = read them from the API server.</summary>
    public IReadOnlyDictionary<string, string>? PodAnnotations { get; init; }

    public bool FeatureOn { get; init; }
    public bool AllowRob { get; init; }
    public IReadOnlyList<string> StatefulWorkloadKinds { get; init; } = ["StatefulSet"];

    /// <summary>DEL's budget, also the budget of an ADD's rollback (the ADD's own may be spent).</summary>
    public TimeSpan DelBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>GC's list of attachments to keep; null = no list.</summary>
    public IReadOnlySet<(string ContainerId, string IfName)>? ValidAttachments { get; init; }

    public required ILog Log { get; init; }

    public static EngineCall From(AttachmentContext ctx)
    {
        var conf = ctx.Conf;
        var inv = ctx.Invocation;
        string? clusterId = conf.ClusterId;
        CniException? clusterIdError = null;
        if (clusterId is null)
        {
            try
            {
                clusterId = NetConf.ClusterIdOrNull(ctx.EniConf.ClusterId, "eni_conf.cluster_id");
            }
            catch (CniException e)
            {
                clusterIdError = e;
            }
        }
        return new EngineCall
        {
            Key = new AttachmentKey(conf.Name, inv.ContainerId, inv.IfName),
            StateDir = conf.StateDir,
            Kubeconfig = conf.Kubeconfig,
            ClusterId = clusterId,
            ClusterIdError = clusterIdError,
            PodNamespace = inv.Args.PodNamespace,
            PodName = inv.Args.PodName,
            PodUid = inv.Args.PodUid,
            PodIp = conf.PrevResult is { } prev ? PrevResult.PodIPv4(prev, inv.IfName)?.ToString() : null,
            PodAnnotations = conf.PodAnnotations,
            FeatureOn = ctx.EniConf.EnableEipPool,
            AllowRob = ctx.EniConf.AllowEipRob,
            StatefulWorkloadKinds = conf.StatefulWorkloadKinds,
            DelBudget = TimeSpan.FromSeconds(conf.DelTimeoutSeconds),
            ValidAttachments = conf.ValidAttachments?.Select(a => (a.ContainerId, a.IfName)).ToHashSet(),
            Log = ctx.Log,
        };
    }
}

using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Kube;

namespace EipCni;

/// <summary>Builds the engine for one call; every client inside is created on first use only.</summary>
public static class EngineComposition
{
    public static IEipEngine Create(AttachmentContext ctx)
    {
        var conf = ctx.Conf;
        CloudClients? cloud = null;
        CloudClients Cloud() => cloud ??= CreateCloud(conf, ctx.EniConf, ctx.Log);

        IKubePods Kube()
        {
            try
            {
                return new KubeClient(Kubeconfig.Load(conf.Kubeconfig), ctx.Log, new KubeClientOptions { NodeName = NodeName(conf) });
            }
            catch (KubeconfigException e)
            {
                throw CniErrors.FromKubeconfig(e, conf.Kubeconfig);
            }
        }

        var services = new EipServices(
            () => Cloud().Eip,
            () => new EniResolver(Cloud().Metadata, Cloud().NetworkInterfaces, conf.StateDir, ctx.Log),
            Kube,
            nodeName: NodeName(conf));
        return new EipEngine(services);
    }

    /// <summary>The cloud layer's options for this node's plugin config and eni_conf (the operator commands compose the same).</summary>
    public static CloudOptions CloudOptionsFor(NetConf conf, EniConf eniConf) => new()
    {
        RegionId = conf.RegionId ?? eniConf.RegionId,
        VpcEndpoint = conf.Endpoints.Vpc,
        EcsEndpoint = conf.Endpoints.Ecs,
        StsEndpoint = conf.Endpoints.Sts,
        MetadataEndpoint = conf.Endpoints.Metadata ?? new Uri("http://100.100.100.200"),
        AccessKeyId = eniConf.AccessKey,
        AccessKeySecret = eniConf.AccessSecret,
        StateDir = conf.StateDir,
        MaxConcurrentCloudCalls = conf.MaxConcurrentCloudCalls,
    };

    /// <summary>
    /// The cloud clients the plugin config and eni_conf describe (the engine's, and the agent's); no I/O until the first
    /// call. Invalid options are error 7 naming the key.
    /// </summary>
    public static CloudClients CreateCloud(NetConf conf, EniConf eniConf, ILog log, Action<CloudException>? attemptFailed = null)
    {
        try
        {
            return CloudClients.Create(CloudOptionsFor(conf, eniConf), log, attemptFailed: attemptFailed);
        }
        catch (ArgumentException e)
        {
            throw new CniException(CniCode.InvalidConfig, $"invalid value for \"{e.ParamName}\"", e.Message);
        }
    }

    /// <summary>The Kubernetes node name from the plugin config (the agent writes it); the host name only when absent.</summary>
    private static string NodeName(NetConf conf) => conf.NodeName ?? Environment.MachineName;
}

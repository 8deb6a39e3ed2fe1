using System.Globalization;
using EipCni.Cni;
using EipCni.Eip;

namespace EipCni.Node;

/// <summary>
/// <c>eip-cni-agent explain</c>: what ADD would do for a pod under this node's plugin config and eni_conf, offline. The
/// decisions are ADD's own code (<see cref="EipPlugin"/>'s feature switch, <see cref="EipRequestParser"/>,
/// <see cref="ReleaseStrategyRule"/>, the cluster ID precondition), so every error reads as ADD would report it.
/// </summary>
public static class PodExplanation
{
    /// <summary>Writes the explanation; 0 when ADD would proceed (or pass the pod through), 1 when it would fail.</summary>
    public static int Explain(PodManifest pod, NetConf conf, TextWriter output)
    {
        output.WriteLine($"pod {pod.Namespace}/{pod.Name}" + (pod.ControllerKind is { } kind ? $", owned by {kind} {pod.ControllerName}" : ", owned by nothing"));

        EniConf eniConf;
        bool exists;
        try
        {
            eniConf = EniConf.Load(conf.EniConfPath, out exists);
        }
        catch (CniException e)
        {
            return Fails(output, e);
        }
        if (!eniConf.EnableEipPool)
        {
            output.WriteLine(exists
                ? $"the EIP feature is off: enable_eip_pool is not true in eni_conf {conf.EniConfPath}"
                : $"the EIP feature is off: there is no eni_conf at {conf.EniConfPath}");
            output.WriteLine("ADD would pass the pod through: no EIP, no cloud call");
            return 0;
        }

        EipRequest request;
        try
        {
            request = EipRequestParser.Parse(pod.Annotations);
        }
        catch (CniException e)
        {
            return Fails(output, e);
        }
        if (!request.Wanted)
        {
            output.WriteLine("the pod does not ask for an EIP (no pod-with-eip \"true\", no pod-eip-instanceid)");
            output.WriteLine("ADD would pass the pod through: no EIP, no cloud call");
            return 0;
        }

        var (strategy, ignoredStrategy) = ReleaseStrategyRule.Effective(request, pod.ControllerKind, conf.StatefulWorkloadKinds);
        var ignored = request.Warnings.Concat(ignoredStrategy is null ? [] : [ignoredStrategy]).ToList();
        string clusterId;
        try
        {
            clusterId = AttachmentListing.ClusterId(conf, eniConf) ?? throw CniErrors.NoClusterId();
        }
        catch (CniException e)
        {
            return Fails(output, e);
        }

        if (request.UserAllocationId is { } userId)
        {
            output.WriteLine($"ADD would bind the user's EIP {userId} to the pod's IP; it is never modified or released");
            output.WriteLine(eniConf.AllowEipRob
                ? "  bound elsewhere, it would be unbound from there first (allow_eip_rob is on)"
                : "  bound elsewhere, ADD would fail with 103 (allow_eip_rob is off)");
        }
        else
        {
            output.WriteLine("ADD would allocate an EIP and bind it to the pod's IP:");
            Option(output, "Bandwidth", request.Bandwidth.ToString(CultureInfo.InvariantCulture) + " Mbit/s");
            Option(output, "InternetChargeType", request.InternetChargeType);
            Option(output, "InstanceChargeType", request.InstanceChargeType);
            Option(output, "ISP", request.Isp ?? "(the cloud's default, BGP)");
            Option(output, "PublicIpAddressPoolId", request.PublicIpAddressPoolId);
            Option(output, "ResourceGroupId", request.ResourceGroupId);
            Option(output, "Name", request.Name ?? $"{pod.Namespace}/{pod.Name}");
            Option(output, "Description", request.Description ?? $"eip-cni: pod {pod.Namespace}/{pod.Name} of cluster {clusterId}");
            Option(output, "SecurityProtectionTypes", request.SecurityProtectionTypes.Count > 0 ? string.Join(",", request.SecurityProtectionTypes) : null);
            Option(output, "bandwidth package", request.CommonBandwidthPackageId is { } cbwp ? $"{cbwp} (joined after allocation, left before release)" : null);
            Option(output, "tags", request.UserTags.Count > 0 ? string.Join(", ", request.UserTags.Select(t => $"{t.Key}={t.Value}")) : null);
            Option(output, "release strategy", strategy.Kind switch
            {
                ReleaseKind.Follow => "Follow (released with the pod)",
                ReleaseKind.Never => "Never (kept for the next pod of this name)",
                _ => $"{strategy} (kept that long for the next pod of this name)",
            });
            Option(output, "ownership tags", $"cluster {clusterId}, pod {pod.Namespace}/{pod.Name}, node {conf.NodeName ?? Environment.MachineName}");
        }
        foreach (var sentence in ignored) output.WriteLine($"ignored: {sentence}");
        output.WriteLine("ADD would proceed");
        return 0;
    }

    private static void Option(TextWriter output, string name, string? value)
    {
        if (value is not null) output.WriteLine($"  {name,-24}{value}");
    }

    private static int Fails(TextWriter output, CniException e)
    {
        output.WriteLine($"ADD would fail with error {(int)e.Code}: {e.Message}" + (e.Details.Length > 0 ? $": {e.Details}" : ""));
        return 1;
    }
}

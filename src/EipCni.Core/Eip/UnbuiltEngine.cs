using EipCni.Cni;

namespace EipCni.Eip;

/// <summary>
/// Stand-in until the EIP workflow lands: pods that do not ask pass, a pod that asks gets a clear error (never a
/// silent pass without its public IP).
/// </summary>
public sealed class UnbuiltEngine : IEipEngine
{
    public Task<string> AddAsync(AttachmentContext ctx, CancellationToken ct)
    {
        var annotations = ctx.Conf.PodAnnotations
            ?? throw new CniException(CniCode.InvalidConfig, "pod annotations were not passed by the runtime",
                "enable the capability io.kubernetes.cri.pod-annotations for eip-cni in the conflist; reading them from the API server is not available in this build");
        if (!EipAnnotationNames.WantsEip(annotations)) return Task.FromResult("no EIP requested");
        throw new CniException(CniCode.CloudRefused, "this build of eip-cni cannot bind EIPs yet",
            "the pod asks for an EIP and enable_eip_pool is on, but the EIP workflow is not built into this binary");
    }

    public Task<string> DelAsync(AttachmentContext ctx, CancellationToken ct) => Task.FromResult("nothing recorded");

    public Task CheckAsync(AttachmentContext ctx, CancellationToken ct) => Task.CompletedTask;

    public Task<string> GcAsync(AttachmentContext ctx, CancellationToken ct) => Task.FromResult("nothing recorded");
}

using EipCni.Cloud;
using EipCni.Kube;

namespace EipCni.Eip;

/// <summary>
/// The engine's view of the outside world, created lazily: a pod that asks for nothing never builds an HTTP client,
/// reads a credential or loads a kubeconfig.
/// </summary>
public sealed class EipServices
{
    private readonly Lazy<IEipCloud> _eip;
    private readonly Lazy<EniResolver> _enis;
    private readonly Lazy<IKubePods> _kube;

    public EipServices(Func<IEipCloud> eip, Func<EniResolver> enis, Func<IKubePods> kube, TimeProvider? time = null, string? nodeName = null)
    {
        _eip = new(eip);
        _enis = new(enis);
        _kube = new(kube);
        Time = time ?? TimeProvider.System;
        NodeName = nodeName ?? Environment.MachineName;
    }

    public IEipCloud Eip => _eip.Value;
    public EniResolver Enis => _enis.Value;
    public IKubePods Kube => _kube.Value;
    public TimeProvider Time { get; }
    public string NodeName { get; }
}

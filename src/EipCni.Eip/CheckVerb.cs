using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>CHECK: the record exists and the cloud shows the EIP bound to the recorded (ENI, IP).</summary>
internal sealed class CheckVerb
{
    private readonly EngineCore _core;

    public CheckVerb(EngineCore core) => _core = core;

    private EipServices Svc => _core.Svc;
    private Journal Journal => _core.Journal;
    private ILog Log => _core.Log;
    private EngineCall Call => _core.Call;

    public async Task RunAsync(CancellationToken ct)
    {
        var key = Call.Key;
        var rec = Journal.Read(key);
        if (rec is null)
        {
            // Feature off: ADD passed every pod through without binding, so there is nothing to check (and no network call).
            if (!Call.FeatureOn) return;
            var (annotations, _) = await _core.AnnotationsAsync(ct).ConfigureAwait(false);
            if (annotations is not null && EipAnnotationNames.WantsEip(annotations))
                throw new CniException(CniCode.BindingMismatch, "the pod asks for an EIP but eip-cni has no record of binding one",
                    $"no journal record for {key}");
            return;
        }
        if (rec.Phase != AttachmentPhase.Bound || rec.AllocationId is null)
            throw new CniException(CniCode.BindingMismatch, $"the pod's EIP is not bound (journal phase {rec.Phase})", rec.LastError);
        EipAddress? eip;
        try
        {
            eip = await _core.DescribeAsync(rec.AllocationId, ct).ConfigureAwait(false);
        }
        catch (CloudException e)
        {
            throw CniErrors.FromCloud(e, "checking the pod's EIP");
        }
        if (eip is null)
            throw new CniException(CniCode.BindingMismatch, $"the pod's EIP {rec.AllocationId} no longer exists");
        if (eip.State != EipStatus.InUse || !EngineCore.IsOn(eip, rec.NetworkInterfaceId ?? "", rec.PrivateIp ?? "", rec.EniPrimaryIp))
            throw new CniException(CniCode.BindingMismatch, $"the pod's EIP {rec.AllocationId} is not bound to {rec.NetworkInterfaceId} {rec.PrivateIp}",
                $"the cloud shows {EngineCore.Holder(eip)}");
    }

    /// <summary>
    /// CNI GC: gives back records whose attachment is not in the valid list; with no list, keeps live records but
    /// finishes pending releases and releases kept EIPs whose time has come. Keeps going past errors and reports them.
    /// </summary>
}

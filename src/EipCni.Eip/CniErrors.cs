using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Kube;

namespace EipCni.Eip;

/// <summary>
/// The one place where failures become CNI errors: the right code, what we were doing, and the cloud's code and
/// request ID or the API server's answer. 999 (an internal error, libcni's ErrInternal) is written only here.
/// </summary>
public static class CniErrors
{
    /// <summary>ADD with an EIP to give, but neither the plugin config nor eni_conf names the cluster (7).</summary>
    public static CniException NoClusterId() => new(CniCode.InvalidConfig, "clusterId is not configured",
        "set \"clusterId\" in the plugin config or cluster_id in eni_conf: it scopes the ownership tags of every EIP");

    public static CniException FromCloud(CloudException e, string doing)
    {
        var details = $"{e.Action}: {e.Code}: {e.CloudMessage}" + (e.RequestId is null ? "" : $" (RequestId {e.RequestId})");
        if (e.IsRetryable) return new CniException(CniCode.TryAgainLater, $"{doing}: the cloud is busy or unavailable, try again later", details, e);
        if (e.Code.StartsWith("QuotaExceeded", StringComparison.Ordinal))
            return new CniException(CniCode.EipQuotaExceeded, $"{doing}: the account's EIP quota is exhausted", details, e);
        if (CloudErrorMapping.IsPermission(e.Code))
            return new CniException(CniCode.CloudPermissionDenied, $"{doing}: the cloud refused the credentials or a RAM permission is missing", details, e);
        return new CniException(CniCode.CloudRefused, $"{doing}: the cloud refused the request", details, e);
    }

    /// <summary>An API server failure: transient ones are "try again later", the rest fail the write-back (107).</summary>
    public static CniException FromKube(KubeException e, string doing) =>
        new(e.IsTransient ? CniCode.TryAgainLater : CniCode.KubeWriteBackFailed, doing, e.Message, e);

    /// <summary>One text for every kubeconfig problem, naming the file: its content is the operator's to fix (7).</summary>
    public static CniException FromKubeconfig(KubeconfigException e, string path) =>
        new(CniCode.InvalidConfig, $"the kubeconfig {path} of eip-cni is unusable", e.Message, e);

    /// <summary>A bug or an unforeseen failure: one error JSON with code 999, no stack trace.</summary>
    public static CniException FromUnexpected(Exception e) =>
        new(CniCode.Internal, "internal error in eip-cni", $"{e.GetType().Name}: {e.Message}", e);

    /// <summary>
    /// The CNI error for a failed ADD. A budget that ran out while the cloud was associating is 104; one that ran out
    /// earlier (throttled or unavailable cloud, a busy attachment lock) is 11, try again later.
    /// </summary>
    public static CniException ForAdd(Exception e, CancellationToken ct, bool waitingForAssociation, string kubeconfigPath) => e switch
    {
        CniException c => c,
        CloudException or OperationCanceledException when (ct.IsCancellationRequested || e is CloudException { Code: CloudErrorCodes.DeadlineExceeded }) && waitingForAssociation =>
            new CniException(CniCode.AssociationTimedOut, "the EIP was not bound within addTimeoutSeconds",
                $"the cloud was still associating when the budget ran out ({e.Message}); everything this ADD did was rolled back", e),
        CloudException c when ct.IsCancellationRequested || c.Code == CloudErrorCodes.DeadlineExceeded =>
            new CniException(CniCode.TryAgainLater, "the cloud did not answer within addTimeoutSeconds, try again later", c.Message, c),
        CloudException c => FromCloud(c, "binding the pod's EIP"),
        OperationCanceledException => new CniException(CniCode.TryAgainLater, "addTimeoutSeconds ran out before the EIP work finished, try again later",
            "everything this ADD did was rolled back", e),
        KubeException k => FromKube(k, "cannot write the EIP back to the pod"),
        KubeconfigException k => FromKubeconfig(k, kubeconfigPath),
        _ => FromUnexpected(e),
    };
}

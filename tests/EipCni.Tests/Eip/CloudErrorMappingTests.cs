using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;

namespace EipCni.Tests.Eip;

/// <summary>The four classes of docs/cloud-api.md §4 and the CNI code each cloud error becomes, as one table.</summary>
public class CloudErrorMappingTests
{
    public static TheoryData<string, int, bool, bool, bool, int> Table => new()
    {
        // code, HTTP status, retryable, gone, ambiguous, CNI code
        { "Throttling.User", 400, true, false, false, CniCode.TryAgainLater },
        { "Throttling", 503, true, false, true, CniCode.TryAgainLater },
        { "TaskConflict", 400, true, false, false, CniCode.TryAgainLater },
        { "OperationConflict", 409, true, false, false, CniCode.TryAgainLater },
        { "LastTokenProcessing", 403, true, false, true, CniCode.TryAgainLater },
        { "OperationFailed.LastTokenProcessing", 400, true, false, true, CniCode.TryAgainLater },
        { "ServiceUnavailable", 503, true, false, true, CniCode.TryAgainLater },
        { "InternalError", 500, true, false, true, CniCode.TryAgainLater },
        { "SystemBusy", 400, true, false, false, CniCode.TryAgainLater },
        { "SignatureNonceUsed", 400, true, false, true, CniCode.TryAgainLater },
        { "Http502", 502, true, false, true, CniCode.TryAgainLater },
        { CloudErrorCodes.RequestTimeout, 0, true, false, true, CniCode.TryAgainLater },
        { CloudErrorCodes.ConnectionFailed, 0, true, false, true, CniCode.TryAgainLater },
        { CloudErrorCodes.DeadlineExceeded, 0, true, false, true, CniCode.TryAgainLater },
        { CloudErrorCodes.InvalidResponse, 200, false, false, true, CniCode.CloudRefused },
        { "QuotaExceeded.Eip", 400, false, false, false, CniCode.EipQuotaExceeded },
        { "Forbidden.RAM", 403, false, false, false, CniCode.CloudPermissionDenied },
        { "Forbbiden", 400, false, false, false, CniCode.CloudPermissionDenied },
        { "NoPermission.Tag", 403, false, false, false, CniCode.CloudPermissionDenied },
        { "InvalidAccessKeyId.NotFound", 404, false, false, false, CniCode.CloudPermissionDenied },
        { "InvalidSecurityToken.Expired", 400, false, false, false, CniCode.CloudPermissionDenied },
        { "SignatureDoesNotMatch", 400, false, false, false, CniCode.CloudPermissionDenied },
        { "NoCredentials", 0, false, false, true, CniCode.CloudPermissionDenied },
        { "InvalidAllocationId.NotFound", 404, false, true, false, CniCode.CloudRefused },
        { "InvalidInstanceId.NotFound", 404, false, true, false, CniCode.CloudRefused },
        { "InvalidInstanId.NotFound", 404, false, true, false, CniCode.CloudRefused },
        { "InvalidBandwidthPackageId.NotFound", 404, false, true, false, CniCode.CloudRefused },
        { "OperationUnsupported.IpNotInCbwp", 400, false, true, false, CniCode.CloudRefused },
        { "InvalidRegionId.NotFound", 404, false, false, false, CniCode.CloudRefused },
        { "IncorrectEipStatus", 400, false, false, false, CniCode.CloudRefused },
        { "InvalidAssociation.Duplicated", 400, false, false, false, CniCode.CloudRefused },
        { "IdempotentParameterMismatch", 400, false, false, false, CniCode.CloudRefused },
        { "InvalidParameter", 400, false, false, false, CniCode.CloudRefused },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_cloud_code_has_one_class_and_one_cni_code(string code, int status, bool retryable, bool gone, bool ambiguous, int cni)
    {
        var e = new CloudException("AssociateEipAddress", code, "message from the cloud", status == 0 ? null : "REQ-1", status);
        Assert.Equal(retryable, e.IsRetryable);
        Assert.Equal(gone, CloudErrorMapping.IsGone(e));
        Assert.Equal(ambiguous, CloudErrorMapping.IsAmbiguous(e));
        var mapped = CniErrors.FromCloud(e, "binding the pod's EIP");
        Assert.Equal(cni, mapped.Code);
        Assert.StartsWith("binding the pod's EIP: ", mapped.Message);
        Assert.Contains(code, mapped.Details);
        if (status != 0) Assert.Contains("RequestId REQ-1", mapped.Details);
    }
}

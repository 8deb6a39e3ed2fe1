using EipCni.Cloud;
using EipCni.Cni;

namespace EipCni.Eip;

/// <summary>Turns cloud failures into CNI errors: the right code, what we were doing, the cloud's code and request ID.</summary>
public static class CloudErrorMapping
{
    public static CniException ToCni(CloudException e, string doing)
    {
        var details = $"{e.Action}: {e.Code}: {e.CloudMessage}" + (e.RequestId is null ? "" : $" (RequestId {e.RequestId})");
        if (e.IsRetryable) return new CniException(CniCode.TryAgainLater, $"{doing}: the cloud is busy or unavailable, try again later", details, e);
        if (e.Code.StartsWith("QuotaExceeded", StringComparison.Ordinal))
            return new CniException(CniCode.EipQuotaExceeded, $"{doing}: the account's EIP quota is exhausted", details, e);
        if (IsPermission(e.Code))
            return new CniException(CniCode.CloudPermissionDenied, $"{doing}: the cloud refused the credentials or a RAM permission is missing", details, e);
        return new CniException(CniCode.CloudRefused, $"{doing}: the cloud refused the request", details, e);
    }

    public static bool IsPermission(string code) =>
        code.StartsWith("Forbidden", StringComparison.Ordinal) || code.StartsWith("Forbbiden", StringComparison.Ordinal)
        || code.StartsWith("NoPermission", StringComparison.Ordinal) || code.StartsWith("InvalidAccessKeyId", StringComparison.Ordinal)
        || code.StartsWith("InvalidSecurityToken", StringComparison.Ordinal) || code is "SignatureDoesNotMatch" or "IncompleteSignature"
        || code.StartsWith("NoCredentials", StringComparison.Ordinal);

    public static bool IsNotFound(CloudException e) => e.Code is "InvalidAllocationId.NotFound" || e.HttpStatus == 404 && e.Code.Contains("AllocationId", StringComparison.Ordinal);
}

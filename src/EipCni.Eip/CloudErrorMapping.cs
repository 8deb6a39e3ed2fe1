using EipCni.Cloud;

namespace EipCni.Eip;

/// <summary>What a cloud error code means for the engine: permission, gone, or an outcome that is not known.</summary>
public static class CloudErrorMapping
{
    public static bool IsPermission(string code) =>
        code.StartsWith("Forbidden", StringComparison.Ordinal) || code.StartsWith("Forbbiden", StringComparison.Ordinal)
        || code.StartsWith("NoPermission", StringComparison.Ordinal) || code.StartsWith("InvalidAccessKeyId", StringComparison.Ordinal)
        || code.StartsWith("InvalidSecurityToken", StringComparison.Ordinal) || code is "SignatureDoesNotMatch" or "IncompleteSignature"
        || code.StartsWith("NoCredentials", StringComparison.Ordinal)
        // No usable credential on the node (emitted by our credential chain, not by the cloud).
        || code is "NoRamRole" or "RamRoleCredentialNotReady" or "OidcTokenUnreadable" or "MetadataTokenRejected"
            or "EntityNotExist.Role" or "EntityNotExist.OIDCProvider" or "AuthenticationFail.OIDCToken.Invalid";

    /// <summary>
    /// A refusal that proves the call was looked at and not carried out: final, not ambiguous, and not a refusal of the
    /// caller (credentials, permissions), which the cloud gives before it even looks at a ClientToken. Only such an
    /// answer to a replayed token shows that the first call never did anything.
    /// </summary>
    public static bool ProvesNotDone(CloudException e) => !e.IsRetryable && !IsAmbiguous(e) && !IsPermission(e.Code);

    /// <summary>
    /// "Already gone": the EIP, the ENI or IP it was bound to, or the bandwidth package no longer exists, or the EIP is
    /// not in the package. For unbind, leave-package and release these mean the work is done. Region and AccessKey
    /// "NotFound" codes are configuration errors, not gone resources.
    /// </summary>
    public static bool IsGone(CloudException e) =>
        e.Code is "InvalidAllocationId.NotFound" or "InvalidInstanceId.NotFound" or "InvalidInstanId.NotFound" or "InvalidParams.NotFound"
            or "InvalidBandwidthPackageId.NotFound" or "InvalidResourceId.NotFound" or "InvalidIpInstanceId.NotFound"
            or "OperationUnsupported.IpNotInCbwp"
        || IsNotFound(e);

    /// <summary>
    /// The call may have been carried out although it failed: no answer, a 5xx, a garbled 2xx, the token still being
    /// processed, or a re-sent signature (the first send arrived). Only the cloud's state (or a token replay) can tell.
    /// </summary>
    public static bool IsAmbiguous(CloudException e) =>
        e.HttpStatus == 0 || e.HttpStatus >= 500 || e.Code is CloudErrorCodes.InvalidResponse or "LastTokenProcessing"
            or "OperationFailed.LastTokenProcessing" or "SignatureNonceUsed";

    public static bool IsNotFound(CloudException e) => e.Code is "InvalidAllocationId.NotFound" || e.HttpStatus == 404 && e.Code.Contains("AllocationId", StringComparison.Ordinal);

    /// <summary>
    /// The cloud's code and request ID, without its free text: a DEL or GC error must never say "not found" (containerd
    /// reads that as success and forgets the sandbox), and "InvalidAccessKeyId.NotFound" says what it must.
    /// </summary>
    public static string Describe(Exception e) => e switch
    {
        CloudException c => $"{c.Action} answered {c.Code}" + (c.HttpStatus > 0 ? $" (HTTP {c.HttpStatus}" : " (no answer") +
            (c.RequestId is null ? ")" : $", RequestId {c.RequestId})"),
        OperationCanceledException => "the cloud did not finish within the call's budget",
        _ => e.Message,
    };
}

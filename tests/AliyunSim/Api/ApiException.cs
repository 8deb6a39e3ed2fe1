namespace AliyunSim.Api;

/// <summary>An OpenAPI error answer: the HTTP status, the documented code and a message.</summary>
public sealed class ApiException(int httpStatus, string code, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;
    public string Code { get; } = code;
    /// <summary>Extra response headers, e.g. x-acs-retry-after for throttling.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>The error codes the simulator answers with, in one place (HTTP status per docs/cloud-api.md §3, §4 and §11).</summary>
public static class Errors
{
    public static ApiException Missing(string name) =>
        new(400, "MissingParameter", $"The input parameter \"{name}\" that is mandatory for processing this request is not supplied.");
    public static ApiException Invalid(string name, string why) =>
        new(400, "InvalidParameter", $"The specified parameter \"{name}\" is not valid: {why}");
    public static ApiException SignatureDoesNotMatch(string stringToSign) =>
        new(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation. server string to sign is:" + stringToSign);
    public static ApiException IncompleteSignature(string why) =>
        new(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards: " + why);
    public static ApiException NonceUsed() =>
        new(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
    public static ApiException TimestampExpired(string value) =>
        new(400, "InvalidTimeStamp.Expired", $"Specified time stamp or date value is expired: {value}");
    public static ApiException TimestampFormat(string value) =>
        new(400, "InvalidTimeStamp.Format", $"Specified time stamp or date value is not well formatted: {value}");
    public static ApiException AccessKeyNotFound() =>
        new(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    public static ApiException TokenExpired() =>
        new(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.");
    public static ApiException TokenMismatch() =>
        new(400, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.");
    public static ApiException TokenMalformed() =>
        new(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.");
    public static ApiException ActionNotFound(string action) =>
        new(404, "InvalidAction.NotFound", $"Specified api is not found, please check your url and method. ({action})");
    public static ApiException InvalidVersion(string version) =>
        new(400, "InvalidVersion", $"Specified parameter Version is not valid: {version}");
    public static ApiException RegionNotFound(string region) =>
        new(404, "InvalidRegionId.NotFound", $"The specified RegionId does not exist: {region}");
    public static ApiException Throttled(long retryAfterMs)
    {
        var e = new ApiException(400, "Throttling.User", "Request was denied due to user flow control.");
        e.Headers["x-acs-retry-after"] = retryAfterMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return e;
    }
    public static ApiException IdempotentMismatch() =>
        new(400, "IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request.");
    public static ApiException LastTokenProcessing() =>
        new(403, "LastTokenProcessing", "The last token request is processing.");

    public static ApiException AllocationNotFound(string id) =>
        new(404, "InvalidAllocationId.NotFound", $"Specified allocation ID is not found: {id}");
    public static ApiException IncorrectEipStatus(string id, string status) =>
        new(400, "IncorrectEipStatus", $"The current status of the EIP {id} ({status}) does not support this operation.");
    public static ApiException TaskConflict(string id) =>
        new(400, "TaskConflict", $"The operation conflicts with a task in progress on {id}. Try again later.");
    public static ApiException QuotaExceeded(int quota) =>
        new(400, "QuotaExceeded.Eip", $"The number of EIPs has reached the quota ({quota}).");
    public static ApiException Duplicated(string eni, string ip, string holder) =>
        new(400, "InvalidAssociation.Duplicated", $"The private IP {ip} of {eni} is already associated with {holder}.");
    public static ApiException InstanceNotFound(string id, int status = 404) =>
        new(status, "InvalidInstanceId.NotFound", $"The specified instance does not exist: {id}");
    public static ApiException PrivateIpNotFound(string ip) =>
        new(400, "InvalidParams.NotFound", $"The specified private IP address does not exist: {ip}");
    public static ApiException BandwidthPackageNotFound(string id) =>
        new(404, "InvalidBandwidthPackageId.NotFound", $"The specified bandwidth package does not exist: {id}");
    public static ApiException IpNotInCbwp(string eip, string cbwp) =>
        new(400, "OperationUnsupported.IpNotInCbwp", $"The EIP {eip} is not in the bandwidth package {cbwp}.");
}

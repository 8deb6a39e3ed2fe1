namespace EipCni.Cloud;

/// <summary>A failed cloud call: the cloud's error code and request ID, or a client-side code when no answer came back.</summary>
/// <remarks>
/// Client-side codes (HttpStatus 0): <see cref="CloudErrorCodes.RequestTimeout"/>, <see cref="CloudErrorCodes.ConnectionFailed"/>,
/// <see cref="CloudErrorCodes.DeadlineExceeded"/>, <see cref="CloudErrorCodes.TlsRejected"/>, <see cref="CloudErrorCodes.UnusableCredential"/>. The message never carries request parameters or credentials.
/// </remarks>
public sealed class CloudException : Exception
{
    public CloudException(string action, string code, string cloudMessage, string? requestId, int httpStatus,
        TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(Format(action, code, cloudMessage, requestId, httpStatus), innerException)
    {
        Action = action;
        Code = code;
        CloudMessage = cloudMessage;
        RequestId = requestId;
        HttpStatus = httpStatus;
        RetryAfter = retryAfter;
    }

    /// <summary>The API action (e.g. <c>AssociateEipAddress</c>) or metadata path that failed.</summary>
    public string Action { get; }

    /// <summary>The cloud's error code (e.g. <c>Throttling.User</c>) or a client-side code.</summary>
    public string Code { get; }

    /// <summary>The cloud's own message.</summary>
    public string CloudMessage { get; }

    /// <summary>The request ID to quote to Alibaba Cloud support; null when no answer came back.</summary>
    public string? RequestId { get; }

    /// <summary>HTTP status of the answer; 0 when there was none.</summary>
    public int HttpStatus { get; }

    /// <summary>How long the server asked us to wait (<c>x-acs-retry-after</c>), if it did.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>True when the same call may succeed later (throttling, conflicts in progress, 5xx, no answer).</summary>
    public bool IsRetryable => CloudErrorCodes.IsRetryable(Code, HttpStatus);

    /// <summary>True for throttling codes (the CNI layer reports them as "try again later").</summary>
    public bool IsThrottling => Code.StartsWith("Throttling", StringComparison.Ordinal);

    private static string Format(string action, string code, string message, string? requestId, int httpStatus)
    {
        // Without an answer there is neither status nor request ID; the client-side code and message say what happened.
        if (httpStatus == 0) return $"{action} failed: {code}: {message}";
        var id = requestId is null ? "" : $", RequestId {requestId}";
        return $"{action} failed: {code}: {message} (HTTP {httpStatus}{id})";
    }
}

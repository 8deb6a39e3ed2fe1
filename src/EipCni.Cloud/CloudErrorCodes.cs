namespace EipCni.Cloud;

/// <summary>Error codes the client acts on, and the retry classification.</summary>
public static class CloudErrorCodes
{
    /// <summary>One attempt got no answer within the per-request timeout.</summary>
    public const string RequestTimeout = "RequestTimeout";

    /// <summary>The connection failed or was dropped before an answer arrived.</summary>
    public const string ConnectionFailed = "ConnectionFailed";

    /// <summary>The caller's budget ended before any attempt got an answer.</summary>
    public const string DeadlineExceeded = "DeadlineExceeded";

    /// <summary>
    /// An answer that is not the JSON the API documents: not JSON, a required field missing, or more than eip-cni
    /// reads (<see cref="Http.AnswerLimits"/>: too large, too many objects, too many pages). Final; for a mutating
    /// call it is ambiguous (the cloud may have acted).
    /// </summary>
    public const string InvalidResponse = "InvalidResponse";

    /// <summary>The endpoint's TLS certificate (or handshake) was refused; nothing was sent. Final: it would be refused again.</summary>
    public const string TlsRejected = "TlsRejected";

    /// <summary>
    /// A credential field cannot be sent (a line break, a control character, an absurd length); nothing was sent. A
    /// "NoCredentials" code: the CNI error is 102, no usable credentials.
    /// </summary>
    public const string UnusableCredential = "NoCredentials.Unusable";

    /// <summary>
    /// Retryable: throttling, conflicts with work in progress, transient server trouble, any 5xx, and no answer.
    /// <c>SignatureNonceUsed</c> too: only a copy of an attempt re-sent below us reuses a nonce (the first copy may have
    /// been carried out, its answer lost); a retry is signed afresh, and a repeated mutation is harmless (ClientTokens
    /// replay the first answer; a repeated release or tag finds its work done).
    /// Everything else is final (bad parameters, permissions, quota, wrong status).
    /// </summary>
    public static bool IsRetryable(string code, int httpStatus) =>
        code.StartsWith("Throttling", StringComparison.Ordinal)
        || code is "TaskConflict" or "OperationConflict" or "LastTokenProcessing" or "OperationFailed.LastTokenProcessing"
            or "ServiceUnavailable" or "InternalError" or "SystemBusy" or "SignatureNonceUsed"
            or RequestTimeout or ConnectionFailed or DeadlineExceeded
        || httpStatus >= 500;
}

namespace EipCni.Cni;

/// <summary>CNI error codes: 1–99 from the CNI spec, 100+ are EipCni's own (documented in the README).</summary>
public static class CniCode
{
    public const int IncompatibleVersion = 1;
    public const int UnsupportedField = 2;
    public const int UnknownContainer = 3;
    public const int InvalidEnvironment = 4;
    public const int IoFailure = 5;
    public const int DecodingFailure = 6;
    public const int InvalidConfig = 7;
    public const int TryAgainLater = 11;
    public const int PluginNotAvailable = 50;
    public const int LimitedConnectivity = 51;

    /// <summary>A bug or an unforeseen failure (libcni's ErrInternal); never the answer to bad input.</summary>
    public const int Internal = 999;

    /// <summary>The cloud refused the request with a final error (details carry its code and request ID).</summary>
    public const int CloudRefused = 100;
    /// <summary>The account's EIP quota is exhausted (QuotaExceeded.Eip).</summary>
    public const int EipQuotaExceeded = 101;
    /// <summary>The credentials lack a RAM permission, or no credentials could be obtained.</summary>
    public const int CloudPermissionDenied = 102;
    /// <summary>The user-specified EIP is bound to something else and robbing is off.</summary>
    public const int EipHeldElsewhere = 103;
    /// <summary>The EIP did not reach InUse within addTimeoutSeconds.</summary>
    public const int AssociationTimedOut = 104;
    /// <summary>The user-specified EIP does not exist in this region/account.</summary>
    public const int EipUnknown = 105;
    /// <summary>The pod's ENI could not be resolved for its IP.</summary>
    public const int EniUnresolved = 106;
    /// <summary>Writing the result back to the pod (annotations, condition) failed.</summary>
    public const int KubeWriteBackFailed = 107;
    /// <summary>CHECK found the EIP not bound where the record says it should be.</summary>
    public const int BindingMismatch = 108;
}

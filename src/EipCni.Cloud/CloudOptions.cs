using System.Net;

namespace EipCni.Cloud;

/// <summary>Everything the cloud layer needs from configuration; the CNI layer fills it from the netconf and eni_conf.</summary>
public sealed record CloudOptions
{
    /// <summary>Null: read from the metadata service on the first cloud call.</summary>
    public string? RegionId { get; init; }

    /// <summary>Null: <c>https://vpc-vpc.{region}.aliyuncs.com</c>.</summary>
    public Uri? VpcEndpoint { get; init; }

    /// <summary>Null: <c>https://ecs-vpc.{region}.aliyuncs.com</c>.</summary>
    public Uri? EcsEndpoint { get; init; }

    /// <summary>Null: <c>https://sts-vpc.{region}.aliyuncs.com</c>.</summary>
    public Uri? StsEndpoint { get; init; }

    public Uri MetadataEndpoint { get; init; } = new("http://100.100.100.200");

    /// <summary>Static AccessKey from eni_conf; first in the credential chain when both are set.</summary>
    public string? AccessKeyId { get; init; }

    public string? AccessKeySecret { get; init; }

    /// <summary>Holds <c>locks/</c> (cloud-call slots) and <c>credentials/</c> (the 0600 temporary-credential cache).</summary>
    public required string StateDir { get; init; }

    /// <summary>Node-wide cap on in-flight mutating cloud calls, shared by all plugin processes.</summary>
    public int MaxConcurrentCloudCalls { get; init; } = 4;

    /// <summary>Limit of one HTTP attempt (each retry gets its own).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public override string ToString() =>
        $"CloudOptions {{ RegionId = {RegionId ?? "(metadata)"}, VpcEndpoint = {VpcEndpoint}, EcsEndpoint = {EcsEndpoint}, StsEndpoint = {StsEndpoint}, " +
        $"MetadataEndpoint = {MetadataEndpoint}, StaticAccessKey = {AccessKeyId is not null}, StateDir = {StateDir}, " +
        $"MaxConcurrentCloudCalls = {MaxConcurrentCloudCalls}, RequestTimeout = {RequestTimeout} }}";

    /// <summary>Checks what can be checked without I/O; throws <see cref="ArgumentException"/> whose ParamName is the config key.</summary>
    public void Validate()
    {
        CheckEndpoint("endpoints.vpc", VpcEndpoint, isMetadata: false);
        CheckEndpoint("endpoints.ecs", EcsEndpoint, isMetadata: false);
        CheckEndpoint("endpoints.sts", StsEndpoint, isMetadata: false);
        CheckEndpoint("endpoints.metadata", MetadataEndpoint, isMetadata: true);
        if (MaxConcurrentCloudCalls < 1)
            throw new ArgumentException($"maxConcurrentCloudCalls must be at least 1, got {MaxConcurrentCloudCalls}", "maxConcurrentCloudCalls");
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"the request timeout must be positive, got {RequestTimeout}", "requestTimeout");
        if ((AccessKeyId is null) != (AccessKeySecret is null))
            throw new ArgumentException("access_key and access_secret must be given together", "access_key");
        if (RegionId is not null && !IsRegionId(RegionId))
            throw new ArgumentException($"regionId \"{RegionId}\" is not a region ID (like cn-hangzhou)", "regionId");
    }

    /// <summary>The same rule the config parser applies (<see cref="EndpointRule"/>), for callers that build options themselves.</summary>
    public static void CheckEndpoint(string key, Uri? endpoint, bool isMetadata)
    {
        if (endpoint is null) return;
        if (EndpointRule.Problem(endpoint, isMetadata ? "endpoints.metadata" : key) is { } problem)
            throw new ArgumentException($"{key} \"{endpoint}\": {problem}", key);
    }

    private static bool IsRegionId(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');
}

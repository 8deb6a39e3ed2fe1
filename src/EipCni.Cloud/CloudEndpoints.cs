using System.Net;

namespace EipCni.Cloud;

/// <summary>The region and API endpoints, resolved once (from options, else the metadata service) on first use.</summary>
public sealed class CloudEndpoints
{
    private readonly CloudOptions _options;
    private readonly IInstanceMetadata _metadata;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Resolved? _resolved;

    public CloudEndpoints(CloudOptions options, IInstanceMetadata metadata)
    {
        _options = options;
        _metadata = metadata;
    }

    /// <summary>Region and endpoints of every API this layer calls.</summary>
    public sealed record Resolved(string RegionId, Uri Vpc, Uri Ecs, Uri Sts);

    public async ValueTask<Resolved> GetAsync(CancellationToken cancellationToken)
    {
        if (_resolved is { } done) return done;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_resolved is { } raced) return raced;
            var region = _options.RegionId ?? await _metadata.GetRegionIdAsync(cancellationToken).ConfigureAwait(false);
            return _resolved = new Resolved(region,
                _options.VpcEndpoint ?? new Uri($"https://vpc-vpc.{region}.aliyuncs.com"),
                _options.EcsEndpoint ?? new Uri($"https://ecs-vpc.{region}.aliyuncs.com"),
                _options.StsEndpoint ?? new Uri($"https://sts-vpc.{region}.aliyuncs.com"));
        }
        finally
        {
            _gate.Release();
        }
    }
}

using System.Diagnostics;
using EipCni.Cloud;
using EipCni.Tests.Kube;
using EipCni.Tests.Support;

namespace EipCni.Tests.Cloud;

/// <summary>A certificate the cloud client refuses is final at once: the same certificate would be refused on every retry.</summary>
public sealed class TlsRefusalTests
{
    [Fact]
    public async Task A_self_signed_cloud_endpoint_is_refused_at_once_naming_the_endpoint_and_the_problem()
    {
        using var server = new HostileServer(_ => HostileAnswer.Json("""{"RequestId":"R"}"""), TestPki.SelfSignedServer());
        using var dir = new TempDir("eipcni-tls");
        using var clients = CloudClients.Create(new CloudOptions
        {
            RegionId = "cn-hangzhou", VpcEndpoint = new Uri(server.Url), EcsEndpoint = new Uri(server.Url), StsEndpoint = new Uri(server.Url),
            MetadataEndpoint = new Uri(server.Url), AccessKeyId = "LTAItls", AccessKeySecret = "tls-secret", StateDir = dir.File("state"),
        }, new RecordingLog(), _ => null);
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<CloudException>(() => clients.Eip.ReleaseEipAddressAsync("eip-1", default));

        Assert.Equal(CloudErrorCodes.TlsRejected, e.Code);
        Assert.False(e.IsRetryable);
        Assert.Contains($"TLS handshake with 127.0.0.1:{server.Port} failed", e.Message);
        Assert.Contains("UntrustedRoot", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.Empty(server.Requests); // the handshake failed: nothing was sent

        var metadata = await Assert.ThrowsAsync<CloudException>(() => clients.Metadata.GetInstanceIdAsync(default));
        Assert.Equal(CloudErrorCodes.TlsRejected, metadata.Code);
        Assert.Contains($"127.0.0.1:{server.Port}", metadata.Message);
    }
}

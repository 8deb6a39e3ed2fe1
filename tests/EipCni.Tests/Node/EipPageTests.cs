using System.Text.Json.Nodes;
using EipCni.Cloud;
using EipCni.Eip;
using EipCni.Tests.Cloud;

namespace EipCni.Tests.Node;

/// <summary>One page of DescribeEipAddresses at a time (the sweep paces its own listing), against AliyunSim.</summary>
public sealed class EipPageTests : IClassFixture<SimulatorFixture>, IAsyncLifetime
{
    private readonly SimulatorFixture _sim;
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "eipcni-page-" + Guid.NewGuid().ToString("N"));

    public EipPageTests(SimulatorFixture sim) => _sim = sim;

    public Task InitializeAsync() => _sim.ResetAsync();

    public Task DisposeAsync()
    {
        if (Directory.Exists(_stateDir)) Directory.Delete(_stateDir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Pages_of_100_follow_the_cloud_count_and_only_match_the_tag()
    {
        for (var i = 0; i < 130; i++)
            await _sim.PostAsync("/_sim/eips", new JsonObject { ["tags"] = new JsonObject { [OwnershipTags.Cluster] = "c-page" } });
        await _sim.PostAsync("/_sim/eips", new JsonObject { ["tags"] = new JsonObject { [OwnershipTags.Cluster] = "other" } });
        var failures = new List<CloudException>();
        using var clients = CloudClients.Create(new CloudOptions
        {
            RegionId = _sim.Region, VpcEndpoint = _sim.Url, EcsEndpoint = _sim.Url, StsEndpoint = _sim.Url, MetadataEndpoint = _sim.Url,
            AccessKeyId = _sim.AccessKeyId, AccessKeySecret = _sim.AccessKeySecret, StateDir = _stateDir,
        }, NullLog.Instance, _ => null, attemptFailed: failures.Add);
        var query = new EipQuery { Tags = [new(OwnershipTags.Cluster, "c-page")] };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var first = await clients.Eip.DescribeEipAddressesPageAsync(query, 1, cts.Token);
        var second = await clients.Eip.DescribeEipAddressesPageAsync(query, 2, cts.Token);

        Assert.Equal((100, 130, true), (first.Items.Count, first.TotalCount, first.HasMore));
        Assert.Equal((30, false), (second.Items.Count, second.HasMore));
        Assert.Equal(130, first.Items.Concat(second.Items).Select(e => e.AllocationId).Distinct().Count());
        var none = await clients.Eip.DescribeEipAddressesPageAsync(new EipQuery { AllocationIds = [] }, 1, cts.Token);
        Assert.Empty(none.Items);
        Assert.Empty(failures);

        // Every failed attempt is reported, retried or not: the agent counts cloud errors and throttles with it.
        await _sim.PostAsync("/_sim/faults", new JsonObject { ["action"] = "DescribeEipAddresses", ["code"] = "Throttling.User", ["httpStatus"] = 400, ["count"] = 2 });
        await clients.Eip.DescribeEipAddressesPageAsync(query, 1, cts.Token);
        Assert.Equal(["Throttling.User", "Throttling.User"], failures.Select(f => f.Code));
    }
}

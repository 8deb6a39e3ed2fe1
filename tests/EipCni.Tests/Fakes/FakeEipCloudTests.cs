using EipCni.Cni;
using EipCni.Cloud;

namespace EipCni.Tests.Fakes;

/// <summary>The fake cloud keeps the promises the engine tests rely on (docs/cloud-api.md §5 and §6).</summary>
public class FakeEipCloudTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_client_token_replays_the_first_answer_refuses_other_parameters_and_says_when_it_is_still_processing()
    {
        var time = new ManualTimeProvider { AutoAdvance = false };
        var cloud = new FakeEipCloud(time);
        var request = new AllocateEipRequest { Bandwidth = "5", ClientToken = "tok-1" };

        var first = await cloud.AllocateEipAddressAsync(request, None);
        var again = await cloud.AllocateEipAddressAsync(request, None);
        Assert.Equal(first, again);
        Assert.Single(cloud.Eips);
        var mismatch = await Assert.ThrowsAsync<CloudException>(() => cloud.AllocateEipAddressAsync(request with { Bandwidth = "6" }, None));
        Assert.Equal(("IdempotentParameterMismatch", 400), (mismatch.Code, mismatch.HttpStatus));

        cloud.CommitLate("AllocateEipAddress", TimeSpan.FromSeconds(30));
        var lost = await Assert.ThrowsAsync<CloudException>(() => cloud.AllocateEipAddressAsync(request with { ClientToken = "tok-2" }, None));
        Assert.Equal((CloudErrorCodes.RequestTimeout, 0), (lost.Code, lost.HttpStatus));
        var processing = await Assert.ThrowsAsync<CloudException>(() => cloud.AllocateEipAddressAsync(request with { ClientToken = "tok-2" }, None));
        Assert.Equal(("LastTokenProcessing", 403), (processing.Code, processing.HttpStatus));
        Assert.Single(cloud.Eips);

        time.Advance(TimeSpan.FromSeconds(30));
        var late = await cloud.AllocateEipAddressAsync(request with { ClientToken = "tok-2" }, None);
        Assert.Equal(2, cloud.Eips.Count);
        Assert.Contains(cloud.Eips, e => e.AllocationId == late.AllocationId);
    }

    [Fact]
    public async Task The_state_machine_moves_with_the_clock_and_refuses_mutations_in_transition()
    {
        var time = new ManualTimeProvider { AutoAdvance = false };
        var cloud = new FakeEipCloud(time);
        cloud.EniPrimaryIps["eni-1"] = "10.0.0.1";
        var id = (await cloud.AllocateEipAddressAsync(new AllocateEipRequest(), None)).AllocationId;

        await cloud.AssociateEipAddressAsync(new AssociateEipRequest(id, "eni-1", "10.0.0.1"), None);
        Assert.Equal("Associating", cloud.Get(id)!.Status);
        var busy = await Assert.ThrowsAsync<CloudException>(() => cloud.UnassociateEipAddressAsync(new UnassociateEipRequest(id), None));
        Assert.Equal("IncorrectEipStatus", busy.Code);
        time.Advance(cloud.AssociateDelay);
        var seen = Assert.Single(await cloud.DescribeEipAddressesAsync(new EipQuery { AllocationIds = [id] }, None));
        Assert.Equal(("InUse", "eni-1", ""), (seen.Status, seen.InstanceId, seen.PrivateIpAddress)); // primary IP reads back empty

        Assert.Equal("IncorrectEipStatus", (await Assert.ThrowsAsync<CloudException>(() => cloud.ReleaseEipAddressAsync(id, None))).Code);
        await cloud.UnassociateEipAddressAsync(new UnassociateEipRequest(id), None);
        time.Advance(cloud.UnassociateDelay);
        await cloud.ReleaseEipAddressAsync(id, None);
        Assert.Equal("Releasing", cloud.Get(id)!.Status);
        time.Advance(cloud.ReleaseDelay);
        Assert.Null(cloud.Get(id));
        Assert.Empty(await cloud.DescribeEipAddressesAsync(new EipQuery { AllocationIds = [id] }, None));
        Assert.Equal("InvalidAllocationId.NotFound", (await Assert.ThrowsAsync<CloudException>(() => cloud.ReleaseEipAddressAsync(id, None))).Code);
    }

    [Fact]
    public async Task Scripted_faults_refuse_or_lose_the_answer_a_given_number_of_times()
    {
        var cloud = new FakeEipCloud(new ManualTimeProvider());
        cloud.Fail("AllocateEipAddress", "Throttling.User", 400, times: 2);
        for (var i = 0; i < 2; i++)
            Assert.Equal("Throttling.User", (await Assert.ThrowsAsync<CloudException>(() => cloud.AllocateEipAddressAsync(new AllocateEipRequest(), None))).Code);
        Assert.Empty(cloud.Eips);

        cloud.LoseAnswer("AllocateEipAddress");
        Assert.Equal(0, (await Assert.ThrowsAsync<CloudException>(() => cloud.AllocateEipAddressAsync(new AllocateEipRequest(), None))).HttpStatus);
        Assert.Single(cloud.Eips); // applied, answer lost
        await cloud.AllocateEipAddressAsync(new AllocateEipRequest(), None);
        Assert.Equal(2, cloud.Eips.Count);
    }

    [Fact]
    public async Task Associating_a_second_eip_to_a_bound_ip_is_duplicated()
    {
        var cloud = new FakeEipCloud(new ManualTimeProvider()) { AssociateDelay = TimeSpan.Zero };
        cloud.Seed("eip-a", "47.0.0.1", boundToEni: "eni-1", boundToIp: "10.0.0.7");
        cloud.Seed("eip-b", "47.0.0.2");
        var e = await Assert.ThrowsAsync<CloudException>(() => cloud.AssociateEipAddressAsync(new AssociateEipRequest("eip-b", "eni-1", "10.0.0.7"), None));
        Assert.Equal("InvalidAssociation.Duplicated", e.Code);
    }
}

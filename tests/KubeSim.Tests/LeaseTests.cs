using System.Net;

namespace KubeSim.Tests;

/// <summary>coordination.k8s.io/v1 Leases with the optimistic concurrency a leader election relies on.</summary>
[Collection("kubesim")]
public sealed class LeaseTests(KubeSimFixture fixture) : SimTest(fixture)
{
    private const string Leases = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
    private const string Spec = "\"spec\":{\"holderIdentity\":\"a\",\"leaseDurationSeconds\":15,\"renewTime\":\"2024-01-01T00:00:00.000000Z\"}";

    [Fact]
    public async Task Two_candidates_racing_on_one_resourceVersion_one_wins_the_other_gets_409_Conflict()
    {
        var created = await Api.OkAsync("POST", Leases, "{\"metadata\":{\"name\":\"l\"}," + Spec + "}");
        var status = await Api.FailsAsync(HttpStatusCode.Conflict, "AlreadyExists", "POST", Leases, "{\"metadata\":{\"name\":\"l\"}," + Spec + "}");
        Assert.Equal("leases.coordination.k8s.io \"l\" already exists", status["message"]!.GetValue<string>());

        string Take(string holder) =>
            $$$"""{"metadata":{"name":"l","resourceVersion":"{{{KubeApi.Rv(created)}}}"},"spec":{"holderIdentity":"{{{holder}}}","leaseDurationSeconds":15}}""";
        var won = await Api.OkAsync("PUT", Leases + "/l", Take("b"));
        var lost = await Api.FailsAsync(HttpStatusCode.Conflict, "Conflict", "PUT", Leases + "/l", Take("c"));
        Assert.Equal("b", won["spec"]!["holderIdentity"]!.GetValue<string>());
        Assert.Equal("Operation cannot be fulfilled on leases.coordination.k8s.io \"l\": the object has been modified; please apply your changes to the latest version and try again",
            lost["message"]!.GetValue<string>());
        Assert.Equal("b", (await Api.GetAsync(Leases + "/l"))["spec"]!["holderIdentity"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_update_without_a_resourceVersion_is_422_and_a_time_without_microseconds_is_400()
    {
        await Api.OkAsync("POST", Leases, "{\"metadata\":{\"name\":\"l\"}," + Spec + "}");
        await Api.FailsAsync(HttpStatusCode.UnprocessableEntity, "Invalid", "PUT", Leases + "/l", """{"metadata":{"name":"l"},"spec":{}}""");
        await Api.FailsAsync(HttpStatusCode.BadRequest, "BadRequest", "POST", Leases,
            """{"metadata":{"name":"m"},"spec":{"renewTime":"2024-01-01T00:00:00Z"}}""");
    }

    [Fact]
    public async Task Leases_are_watched_patched_and_deleted()
    {
        var created = await Api.OkAsync("POST", Leases, "{\"metadata\":{\"name\":\"l\"}," + Spec + "}");
        await using var watch = await WatchReader.OpenAsync(Api.Http, $"/apis/coordination.k8s.io/v1/leases?watch=true&resourceVersion={KubeApi.Rv(created)}");
        await Sim.WaitForWatchesAsync(1);

        await Api.OkAsync("PATCH", Leases + "/l", """{"spec":{"holderIdentity":"z"}}""", KubeApi.Merge);
        Assert.Equal("z", (await watch.ExpectAsync("MODIFIED"))["spec"]!["holderIdentity"]!.GetValue<string>());
        await Api.OkAsync("DELETE", Leases + "/l");
        await watch.ExpectAsync("DELETED");
    }
}

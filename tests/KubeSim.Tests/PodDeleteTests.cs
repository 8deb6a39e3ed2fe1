using System.Net;

namespace KubeSim.Tests;

/// <summary>DELETE of pods: immediate, graceful (scheduled pods), with preconditions, and held by finalizers.</summary>
[Collection("kubesim")]
public sealed class PodDeleteTests(KubeSimFixture fixture) : SimTest(fixture)
{
    private const string Pods = "/api/v1/namespaces/ns/pods";

    [Fact]
    public async Task An_unscheduled_pod_goes_at_once_and_the_answer_is_the_pod()
    {
        await Api.OkAsync("POST", Pods, """{"metadata":{"name":"p"}}""");
        await using var watch = await WatchReader.OpenAsync(Api.Http, Pods + "?watch=true");
        await watch.ExpectAsync("ADDED");

        var answer = await Api.OkAsync("DELETE", Pods + "/p");
        Assert.Equal(("Pod", "p"), (answer["kind"]!.GetValue<string>(), answer["metadata"]!["name"]!.GetValue<string>()));
        await watch.ExpectAsync("DELETED");
        await Api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "GET", Pods + "/p");
    }

    [Fact]
    public async Task A_scheduled_pod_is_deleted_gracefully_terminating_first_then_gone()
    {
        await Api.OkAsync("POST", Pods, """{"metadata":{"name":"p"},"spec":{"nodeName":"n1","terminationGracePeriodSeconds":20}}""");
        await using var watch = await WatchReader.OpenAsync(Api.Http, Pods + "?watch=true");
        await watch.ExpectAsync("ADDED");

        var answer = await Api.OkAsync("DELETE", Pods + "/p");
        Assert.NotNull(answer["metadata"]!["deletionTimestamp"]);
        Assert.Equal(20, answer["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        var terminating = await watch.ExpectAsync("MODIFIED");
        Assert.NotNull(terminating["metadata"]!["deletionTimestamp"]);
        await watch.ExpectAsync("DELETED");
    }

    [Fact]
    public async Task GracePeriodSeconds_zero_deletes_at_once_and_a_failed_precondition_is_409()
    {
        await Api.OkAsync("POST", Pods, """{"metadata":{"name":"p"},"spec":{"nodeName":"n1"}}""");
        var status = await Api.FailsAsync(HttpStatusCode.Conflict, "Conflict", "DELETE", Pods + "/p", """{"preconditions":{"uid":"not-it"}}""");
        Assert.Contains("Precondition failed: UID in precondition: not-it, UID in object meta: ", status["message"]!.GetValue<string>());

        var answer = await Api.OkAsync("DELETE", Pods + "/p?gracePeriodSeconds=0");
        Assert.Null(answer["metadata"]!["deletionTimestamp"]);
        await Api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "GET", Pods + "/p");
    }

    [Fact]
    public async Task A_finalizer_holds_the_pod_until_it_is_removed()
    {
        await Api.OkAsync("POST", Pods, """{"metadata":{"name":"p","finalizers":["example.com/hold"]}}""");
        var held = await Api.OkAsync("DELETE", Pods + "/p");
        Assert.NotNull(held["metadata"]!["deletionTimestamp"]);
        Assert.NotNull((await Api.GetAsync(Pods + "/p"))["metadata"]!["deletionTimestamp"]);
        await Api.FailsAsync(HttpStatusCode.UnprocessableEntity, "Invalid", "PATCH", Pods + "/p",
            """{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}""", KubeApi.Merge);

        await Api.OkAsync("PATCH", Pods + "/p", """{"metadata":{"finalizers":null}}""", KubeApi.Merge);
        await Api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "GET", Pods + "/p");
    }

    [Fact]
    public async Task Deleting_through_the_admin_API_is_seen_by_watches()
    {
        await Sim.AdminAsync("POST", "/_sim/pods", """{"metadata":{"name":"p","namespace":"ns"},"spec":{"nodeName":"n1"}}""");
        await using var watch = await WatchReader.OpenAsync(Api.Http, Pods + "?watch=true");
        await watch.ExpectAsync("ADDED");
        await Sim.AdminAsync("DELETE", "/_sim/pods/ns/p");
        await watch.ExpectAsync("DELETED");
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace EipCni.Tests.Kube;

/// <summary>The simulator's answers, checked with raw HTTP: what other rooms' tests rely on it to do like the apiserver.</summary>
[Collection("kubesim")]
public sealed class KubeSimProtocolTests : IAsyncLifetime, IDisposable
{
    private readonly KubeSimFixture _sim;
    private readonly HttpClient _http;

    public KubeSimProtocolTests(KubeSimFixture sim)
    {
        _sim = sim;
        _http = sim.CreateHttpClient(sim.Token);
    }

    public async Task InitializeAsync()
    {
        await _sim.ResetAsync();
        await _sim.PutPodAsync("""{"metadata":{"name":"p","namespace":"ns","annotations":{"a":"1"}},"spec":{},"status":{"conditions":[{"type":"Ready","status":"False"}]}}""");
    }

    public Task DisposeAsync() => Task.CompletedTask;
    public void Dispose() => _http.Dispose();

    private async Task<(HttpStatusCode Code, JsonObject Body)> Send(string method, string path, string? body = null, string? contentType = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static void AssertStatus(JsonObject body, int code, string reason)
    {
        Assert.Equal(("Status", "v1", "Failure"), (body["kind"]!.GetValue<string>(), body["apiVersion"]!.GetValue<string>(), body["status"]!.GetValue<string>()));
        Assert.Equal(code, body["code"]!.GetValue<int>());
        Assert.Equal(reason, body["reason"]!.GetValue<string>());
        Assert.NotNull(body["metadata"]);
    }

    [Fact]
    public async Task Unsupported_patch_type_is_415()
    {
        var (code, body) = await Send("PATCH", "/api/v1/namespaces/ns/pods/p", "{}", "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, code);
        AssertStatus(body, 415, "UnsupportedMediaType");
    }

    [Fact]
    public async Task A_non_string_annotation_is_422_Invalid_and_changes_nothing()
    {
        var (code, body) = await Send("PATCH", "/api/v1/namespaces/ns/pods/p", """{"metadata":{"annotations":{"a":2}}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        AssertStatus(body, 422, "Invalid");
        Assert.Equal("metadata.annotations[a]", body["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        Assert.Equal("1", (await _sim.GetPodAsync("ns", "p"))!["metadata"]!["annotations"]!["a"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stale_resourceVersion_in_a_patch_is_409_and_a_current_one_applies()
    {
        var rv = (await _sim.GetPodAsync("ns", "p"))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        var (stale, staleBody) = await Send("PATCH", "/api/v1/namespaces/ns/pods/p", """{"metadata":{"resourceVersion":"1","labels":{"x":"y"}}}""", "application/merge-patch+json");
        var (ok, okBody) = await Send("PATCH", "/api/v1/namespaces/ns/pods/p", "{\"metadata\":{\"resourceVersion\":\"" + rv + "\",\"labels\":{\"x\":\"y\"}}}", "application/merge-patch+json");

        Assert.Equal(HttpStatusCode.Conflict, stale);
        AssertStatus(staleBody, 409, "Conflict");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.True(long.Parse(okBody["metadata"]!["resourceVersion"]!.GetValue<string>()) > long.Parse(rv));
    }

    [Fact]
    public async Task A_no_op_patch_keeps_the_resourceVersion()
    {
        var rv = (await _sim.GetPodAsync("ns", "p"))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        var (_, body) = await Send("PATCH", "/api/v1/namespaces/ns/pods/p", """{"metadata":{"annotations":{"a":"1"}}}""", "application/merge-patch+json");
        Assert.Equal(rv, body["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Json_patch_and_status_changes_through_the_main_resource_are_ignored()
    {
        var (code, body) = await Send("PATCH", "/api/v1/namespaces/ns/pods/p",
            """[{"op":"add","path":"/metadata/annotations/b~1c","value":"2"},{"op":"replace","path":"/status/conditions/0/status","value":"True"}]""",
            "application/json-patch+json");

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("2", body["metadata"]!["annotations"]!["b/c"]!.GetValue<string>());
        Assert.Equal("False", body["status"]!["conditions"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failing_json_patch_test_op_is_422()
    {
        var (code, body) = await Send("PATCH", "/api/v1/namespaces/ns/pods/p", """[{"op":"test","path":"/metadata/annotations/a","value":"9"}]""", "application/json-patch+json");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        AssertStatus(body, 422, "Invalid");
    }

    [Fact]
    public async Task Events_k8s_io_requires_its_fields_and_lands_in_the_same_log()
    {
        var (bad, badBody) = await Send("POST", "/apis/events.k8s.io/v1/namespaces/ns/events", """{"metadata":{"name":"e1"},"type":"Normal","reason":"R"}""");
        var (good, _) = await Send("POST", "/apis/events.k8s.io/v1/namespaces/ns/events", """
            {"metadata":{"name":"e2"},"eventTime":"2024-01-01T00:00:00.000000Z","reportingController":"eip-cni","reportingInstance":"n",
             "action":"Bind","reason":"EipBound","type":"Normal","regarding":{"kind":"Pod","namespace":"ns","name":"p"},"note":"ok"}
            """);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad);
        AssertStatus(badBody, 422, "Invalid");
        Assert.Equal(HttpStatusCode.Created, good);
        Assert.Equal("events.k8s.io/v1", Assert.Single(await _sim.EventsAsync())!["apiVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unauthenticated_and_unknown_paths_answer_Status_objects()
    {
        _http.DefaultRequestHeaders.Authorization = null;
        var (code, body) = await Send("GET", "/api/v1/namespaces/ns/pods/p");
        Assert.Equal(HttpStatusCode.Unauthorized, code);
        AssertStatus(body, 401, "Unauthorized");

        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _sim.Token);
        var (missing, missingBody) = await Send("GET", "/api/v1/namespaces/ns/secrets");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        AssertStatus(missingBody, 404, "NotFound");
    }
}

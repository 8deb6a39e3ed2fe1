using System.Net;

namespace KubeSim.Tests;

/// <summary>core/v1 ConfigMaps: create, get, list, update with optimistic concurrency, merge patch, delete, validation.</summary>
[Collection("kubesim")]
public sealed class ConfigMapTests(KubeSimFixture fixture) : SimTest(fixture)
{
    private const string Path = "/api/v1/namespaces/ns/configmaps";

    [Fact]
    public async Task Create_get_update_patch_and_delete_behave_as_the_apiserver()
    {
        var (code, created) = await Api.SendAsync("POST", Path, """{"metadata":{"name":"cfg"},"data":{"a":"1"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal(("ConfigMap", "v1", "ns"), (created["kind"]!.GetValue<string>(), created["apiVersion"]!.GetValue<string>(),
            created["metadata"]!["namespace"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(created["metadata"]!["uid"]?.GetValue<string>()));
        Assert.Equal(created.ToJsonString(), (await Api.GetAsync(Path + "/cfg")).ToJsonString());

        var updated = await Api.OkAsync("PUT", Path + "/cfg",
            $$$"""{"metadata":{"name":"cfg","resourceVersion":"{{{KubeApi.Rv(created)}}}"},"data":{"a":"2"}}""");
        Assert.Equal("2", updated["data"]!["a"]!.GetValue<string>());
        Assert.Equal(created["metadata"]!["uid"]!.ToJsonString(), updated["metadata"]!["uid"]!.ToJsonString());

        var stale = await Api.FailsAsync(HttpStatusCode.Conflict, "Conflict", "PUT", Path + "/cfg",
            $$$"""{"metadata":{"name":"cfg","resourceVersion":"{{{KubeApi.Rv(created)}}}"},"data":{"a":"3"}}""");
        Assert.Equal("Operation cannot be fulfilled on configmaps \"cfg\": the object has been modified; please apply your changes to the latest version and try again",
            stale["message"]!.GetValue<string>());

        // Without a resourceVersion a configmap update is unconditional.
        await Api.OkAsync("PUT", Path + "/cfg", """{"metadata":{"name":"cfg"},"data":{"a":"4"}}""");
        var patched = await Api.OkAsync("PATCH", Path + "/cfg", """{"data":{"b":"x","a":null}}""", KubeApi.Merge);
        Assert.Equal("""{"b":"x"}""", patched["data"]!.ToJsonString());

        var deleted = await Api.OkAsync("DELETE", Path + "/cfg");
        Assert.Equal(("Status", "Success", "cfg", "configmaps"), (deleted["kind"]!.GetValue<string>(), deleted["status"]!.GetValue<string>(),
            deleted["details"]!["name"]!.GetValue<string>(), deleted["details"]!["kind"]!.GetValue<string>()));
        await Api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "GET", Path + "/cfg");
        await Api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "DELETE", Path + "/cfg");
    }

    [Fact]
    public async Task Duplicates_missing_objects_and_bad_content_answer_the_apiservers_Status()
    {
        await Api.OkAsync("POST", Path, """{"metadata":{"name":"cfg"}}""");
        await Api.FailsAsync(HttpStatusCode.Conflict, "AlreadyExists", "POST", Path, """{"metadata":{"name":"cfg"}}""");
        await Api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "PUT", Path + "/nope", """{"metadata":{"name":"nope"}}""");
        await Api.FailsAsync(HttpStatusCode.BadRequest, "BadRequest", "PUT", Path + "/cfg", """{"metadata":{"name":"other"}}""");
        await Api.FailsAsync(HttpStatusCode.BadRequest, "BadRequest", "POST", Path, """{"metadata":{"name":"n"},"data":{"a":1}}""");
        var invalid = await Api.FailsAsync(HttpStatusCode.UnprocessableEntity, "Invalid", "POST", Path, """{"metadata":{"name":"k"},"data":{"a b":"1"}}""");
        Assert.Equal("data[a b]", invalid["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        await Api.FailsAsync(HttpStatusCode.UnprocessableEntity, "Invalid", "POST", Path, """{"data":{}}""");
    }

    [Fact]
    public async Task GenerateName_makes_a_name_and_a_set_resourceVersion_on_create_is_refused()
    {
        var made = await Api.OkAsync("POST", Path, """{"metadata":{"generateName":"cfg-"}}""");
        Assert.Matches("^cfg-[a-z0-9]{5}$", made["metadata"]!["name"]!.GetValue<string>());
        var (code, _) = await Api.SendAsync("POST", Path, """{"metadata":{"name":"x","resourceVersion":"5"}}""");
        Assert.Equal(HttpStatusCode.InternalServerError, code);
    }

    [Fact]
    public async Task An_immutable_configmap_refuses_data_changes()
    {
        await Api.OkAsync("POST", Path, """{"metadata":{"name":"frozen"},"data":{"a":"1"},"immutable":true}""");
        var status = await Api.FailsAsync(HttpStatusCode.UnprocessableEntity, "Invalid", "PATCH", Path + "/frozen", """{"data":{"a":"2"}}""", KubeApi.Merge);
        Assert.Contains("field is immutable when `immutable` is set", status["message"]!.GetValue<string>());
        await Api.OkAsync("PATCH", Path + "/frozen", """{"metadata":{"labels":{"ok":"yes"}}}""", KubeApi.Merge);
    }
}

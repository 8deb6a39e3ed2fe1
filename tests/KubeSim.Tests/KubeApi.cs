using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace KubeSim.Tests;

/// <summary>Raw Kubernetes API calls as a client makes them, answering the status code and the parsed body.</summary>
public sealed class KubeApi(HttpClient http) : IDisposable
{
    public const string Merge = "application/merge-patch+json";
    public const string Strategic = "application/strategic-merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";

    public HttpClient Http => http;

    public async Task<(HttpStatusCode Code, JsonObject Body)> SendAsync(string method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? new JsonObject() : (JsonObject)JsonNode.Parse(text)!);
    }

    /// <summary>Sends and asserts a 2xx answer.</summary>
    public async Task<JsonObject> OkAsync(string method, string path, string? body = null, string contentType = "application/json")
    {
        var (code, answer) = await SendAsync(method, path, body, contentType);
        Assert.True((int)code is >= 200 and < 300, $"{method} {path}: {(int)code} {answer.ToJsonString()}");
        return answer;
    }

    public Task<JsonObject> GetAsync(string path) => OkAsync("GET", path);

    /// <summary>Sends, asserts the apiserver's Status object with this code and reason, and returns it.</summary>
    public async Task<JsonObject> FailsAsync(HttpStatusCode expected, string reason, string method, string path, string? body = null,
        string contentType = "application/json")
    {
        var (code, status) = await SendAsync(method, path, body, contentType);
        Assert.Equal(expected, code);
        AssertStatus(status, (int)expected, reason);
        return status;
    }

    public static void AssertStatus(JsonNode status, int code, string reason)
    {
        Assert.Equal("Status", status["kind"]?.GetValue<string>());
        Assert.Equal("v1", status["apiVersion"]?.GetValue<string>());
        Assert.Equal("Failure", status["status"]?.GetValue<string>());
        Assert.Equal(code, status["code"]?.GetValue<int>());
        Assert.Equal(reason, status["reason"]?.GetValue<string>());
    }

    public static string Rv(JsonNode obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

    public static string[] Names(JsonObject list) => list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToArray();

    public void Dispose() => http.Dispose();
}

using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace KubeSim.Tests;

/// <summary>TokenRequest: minted tokens authenticate as their service account until they expire, and requests are recorded with that identity.</summary>
[Collection("kubesim")]
public sealed class TokenRequestTests(KubeSimFixture fixture) : SimTest(fixture)
{
    private const string Agent = "/api/v1/namespaces/kube-system/serviceaccounts/eip-cni-agent/token";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Sim.AdminAsync("POST", "/_sim/pods", """{"metadata":{"name":"p","namespace":"ns"},"spec":{"serviceAccountName":"eip-cni-agent"}}""");
    }

    private async Task<(string Token, DateTimeOffset Expiry, JsonObject Answer)> Mint(string path, string body)
    {
        var (code, answer) = await Api.SendAsync("POST", path, body);
        Assert.Equal(HttpStatusCode.Created, code);
        var expiry = DateTimeOffset.ParseExact(answer["status"]!["expirationTimestamp"]!.GetValue<string>(), "yyyy-MM-dd'T'HH:mm:ss'Z'",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return (answer["status"]!["token"]!.GetValue<string>(), expiry, answer);
    }

    private async Task<HttpStatusCode> GetPodAs(string token)
    {
        using var api = new KubeApi(Sim.CreateClient(token));
        return (await api.SendAsync("GET", "/api/v1/namespaces/ns/pods/p")).Code;
    }

    [Fact]
    public async Task A_minted_token_authenticates_until_it_expires_then_it_is_401()
    {
        var (token, expiry, answer) = await Mint(Agent,
            """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":2}}""");
        Assert.Equal(("TokenRequest", "authentication.k8s.io/v1"), (answer["kind"]!.GetValue<string>(), answer["apiVersion"]!.GetValue<string>()));
        Assert.Equal(2, answer["spec"]!["expirationSeconds"]!.GetValue<int>());
        Assert.InRange((expiry - DateTimeOffset.UtcNow).TotalSeconds, 1, 3.5);
        Assert.Equal(3, token.Split('.').Length); // a JWT, as the apiserver mints

        Assert.Equal(HttpStatusCode.OK, await GetPodAs(token));
        await Task.Delay(expiry - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(1200));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetPodAs(token));

        // Refreshing is minting another.
        var (fresh, _, _) = await Mint(Agent, """{"spec":{"expirationSeconds":60}}""");
        Assert.Equal(HttpStatusCode.OK, await GetPodAs(fresh));
    }

    [Fact]
    public async Task Requests_are_recorded_with_the_service_account_that_made_them()
    {
        var (token, _, _) = await Mint(Agent, """{"spec":{"expirationSeconds":60}}""");
        using var agent = new KubeApi(Sim.CreateClient(token));
        await agent.OkAsync("GET", "/api/v1/namespaces/ns/pods/p");
        await agent.OkAsync("PATCH", "/api/v1/namespaces/ns/pods/p", """{"metadata":{"annotations":{"x":"y"}}}""", KubeApi.Merge);

        var mine = (JsonArray)await Sim.AdminAsync("GET", "/_sim/requests?user=system:serviceaccount:kube-system:eip-cni-agent");
        Assert.Equal(["get pods", "patch pods"], mine.Select(r => $"{r!["verb"]} {r["resource"]}").ToArray());
    }

    [Fact]
    public async Task ExpirationSeconds_defaults_to_an_hour_and_audiences_to_the_apiservers()
    {
        var (_, expiry, answer) = await Mint(Agent, "{}");
        Assert.Equal(3600, answer["spec"]!["expirationSeconds"]!.GetValue<int>());
        Assert.InRange((expiry - DateTimeOffset.UtcNow).TotalSeconds, 3590, 3610);
        Assert.Equal("https://kubernetes.default.svc.cluster.local", answer["spec"]!["audiences"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_for_another_audience_does_not_authenticate_to_the_apiserver()
    {
        var (token, _, _) = await Mint(Agent, """{"spec":{"audiences":["vault"],"expirationSeconds":60}}""");
        Assert.Equal(HttpStatusCode.Unauthorized, await GetPodAs(token));
    }

    [Fact]
    public async Task A_pod_bound_token_stops_working_when_the_pod_is_deleted()
    {
        var pod = await Api.GetAsync("/api/v1/namespaces/ns/pods/p");
        var (token, _, _) = await Mint("/api/v1/namespaces/ns/serviceaccounts/eip-cni-agent/token",
            """{"spec":{"expirationSeconds":60,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p","uid":""" + pod["metadata"]!["uid"]!.ToJsonString() + "}}}");
        Assert.Equal(HttpStatusCode.OK, await GetPodAs(token));

        await Api.FailsAsync(HttpStatusCode.BadRequest, "BadRequest", "POST", "/api/v1/namespaces/ns/serviceaccounts/other/token",
            """{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p"}}}""");
        await Api.FailsAsync(HttpStatusCode.Conflict, "Conflict", "POST", "/api/v1/namespaces/ns/serviceaccounts/eip-cni-agent/token",
            """{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p","uid":"stale"}}}""");

        await Sim.AdminAsync("DELETE", "/_sim/pods/ns/p");
        using var api = new KubeApi(Sim.CreateClient(token));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.SendAsync("GET", "/api/v1/namespaces/ns/configmaps")).Code);
    }

    [Fact]
    public async Task Deleting_the_service_account_invalidates_its_tokens()
    {
        var (token, _, _) = await Mint(Agent, """{"spec":{"expirationSeconds":60}}""");
        var sa = await Api.GetAsync("/api/v1/namespaces/kube-system/serviceaccounts/eip-cni-agent"); // made on first use
        Assert.Equal("ServiceAccount", sa["kind"]!.GetValue<string>());

        await Api.OkAsync("DELETE", "/api/v1/namespaces/kube-system/serviceaccounts/eip-cni-agent");
        Assert.Equal(HttpStatusCode.Unauthorized, await GetPodAs(token));
    }

    [Fact]
    public async Task The_real_minimum_and_explicit_service_accounts_when_the_simulator_is_started_so()
    {
        await using var strict = await KubeSimServer.StartAsync("--service-accounts", "explicit");
        using var api = new KubeApi(strict.CreateClient(strict.Token));

        var tooShort = await api.FailsAsync(HttpStatusCode.UnprocessableEntity, "Invalid", "POST", Agent, """{"spec":{"expirationSeconds":599}}""");
        Assert.Equal("TokenRequest.authentication.k8s.io \"eip-cni-agent\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes",
            tooShort["message"]!.GetValue<string>());
        await api.FailsAsync(HttpStatusCode.NotFound, "NotFound", "POST", Agent, """{"spec":{"expirationSeconds":600}}""");

        await api.OkAsync("POST", "/api/v1/namespaces/kube-system/serviceaccounts", """{"metadata":{"name":"eip-cni-agent"}}""");
        var (code, answer) = await api.SendAsync("POST", Agent, """{"spec":{"expirationSeconds":600}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        using var agent = new KubeApi(strict.CreateClient(answer["status"]!["token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await agent.SendAsync("GET", "/api/v1/nodes")).Code);
    }
}

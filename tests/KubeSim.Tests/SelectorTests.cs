using System.Net;

namespace KubeSim.Tests;

/// <summary>fieldSelector and labelSelector on lists, as the apiserver reads them, and its 400 for what it does not support.</summary>
[Collection("kubesim")]
public sealed class SelectorTests(KubeSimFixture fixture) : SimTest(fixture)
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var pod in new[]
                 {
                     """{"metadata":{"name":"a","namespace":"ns1","labels":{"app":"web","tier":"front"}},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}}""",
                     """{"metadata":{"name":"b","namespace":"ns1","labels":{"app":"db"}},"spec":{"nodeName":"n2","hostNetwork":true},"status":{"phase":"Pending"}}""",
                     """{"metadata":{"name":"c","namespace":"ns2","labels":{"app":"web","canary":""}},"spec":{"nodeName":"n1"}}""",
                     """{"metadata":{"name":"d","namespace":"ns2"},"spec":{}}""",
                 })
            await Sim.AdminAsync("POST", "/_sim/pods", pod);
    }

    [Theory]
    [InlineData("spec.nodeName=n1", "a,c")]
    [InlineData("spec.nodeName==n2", "b")]
    [InlineData("spec.nodeName=", "d")] // unscheduled
    [InlineData("spec.nodeName!=n1", "b,d")]
    [InlineData("spec.host=n2", "b")] // the old name the apiserver still converts
    [InlineData("metadata.name=c", "c")]
    [InlineData("metadata.namespace=ns1", "a,b")]
    [InlineData("metadata.namespace=ns2,spec.nodeName=n1", "c")]
    [InlineData("status.phase=Running", "a")]
    [InlineData("spec.hostNetwork=false", "a,c,d")] // absent reads as false
    public async Task Pod_field_selectors_filter_a_list_across_namespaces(string selector, string expected)
    {
        var list = await Api.GetAsync("/api/v1/pods?fieldSelector=" + Uri.EscapeDataString(selector));
        Assert.Equal(expected.Split(','), KubeApi.Names(list));
    }

    [Theory]
    [InlineData("app=web", "a,c")]
    [InlineData("app==web", "a,c")]
    [InlineData("app!=web", "b,d")] // includes the pod without the label
    [InlineData("canary", "c")]
    [InlineData("!app", "d")]
    [InlineData("app=web,tier=front", "a")]
    [InlineData("app in (web, db)", "a,b,c")]
    [InlineData("app notin (web)", "b,d")]
    [InlineData("app=web,!canary", "a")]
    [InlineData("canary=", "c")]
    public async Task Label_selectors_filter_a_list(string selector, string expected)
    {
        var list = await Api.GetAsync("/api/v1/pods?labelSelector=" + Uri.EscapeDataString(selector));
        Assert.Equal(expected.Split(','), KubeApi.Names(list));
    }

    [Fact]
    public async Task Selectors_apply_within_a_namespaced_list_too()
    {
        var list = await Api.GetAsync("/api/v1/namespaces/ns2/pods?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1");
        Assert.Equal(["c"], KubeApi.Names(list));
    }

    [Theory]
    [InlineData("/api/v1/pods?fieldSelector=spec.containers=x", "field label not supported: spec.containers")]
    [InlineData("/api/v1/nodes?fieldSelector=metadata.namespace=x", "field label not supported: metadata.namespace")]
    [InlineData("/api/v1/configmaps?fieldSelector=data.k=x", "field label not supported: data.k")]
    [InlineData("/api/v1/pods?watch=true&fieldSelector=spec.foo=x", "field label not supported: spec.foo")]
    public async Task An_unsupported_field_label_is_400_BadRequest_naming_it(string pathAndQuery, string message)
    {
        var status = await Api.FailsAsync(HttpStatusCode.BadRequest, "BadRequest", "GET", pathAndQuery);
        Assert.Equal(message, status["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/v1/pods?fieldSelector=nonsense")]
    [InlineData("/api/v1/pods?labelSelector=app%20in%20()")]
    [InlineData("/api/v1/pods?labelSelector=a%20b")]
    public async Task A_malformed_selector_is_400_BadRequest(string pathAndQuery) =>
        await Api.FailsAsync(HttpStatusCode.BadRequest, "BadRequest", "GET", pathAndQuery);

    [Fact]
    public async Task Node_selectors_read_spec_unschedulable_as_false_when_absent()
    {
        await Api.OkAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"n1","labels":{"zone":"a"}}}""");
        await Api.OkAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"n2","labels":{"zone":"b"}},"spec":{"unschedulable":true}}""");

        Assert.Equal(["n1"], KubeApi.Names(await Api.GetAsync("/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse")));
        Assert.Equal(["n2"], KubeApi.Names(await Api.GetAsync("/api/v1/nodes?labelSelector=zone%3Db")));
        Assert.Equal(["n2"], KubeApi.Names(await Api.GetAsync("/api/v1/nodes?fieldSelector=metadata.name%3Dn2")));
    }
}

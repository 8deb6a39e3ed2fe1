using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>The Kubernetes API: the same set of routes for every stored type, plus events and TokenRequest.</summary>
public static partial class ApiRoutes
{
    public static void Map(WebApplication app, Sim sim, ApiGateway gateway)
    {
        foreach (var type in ResourceType.All) MapType(app, sim, gateway, type);

        // Events, both APIs: create only.
        app.MapPost("/api/v1/namespaces/{ns}/events", async (string ns, HttpContext c) =>
            Wire.Json(sim.Store.CreateEvent(ns, await ReadObject(c), false), 201));
        app.MapPost("/apis/events.k8s.io/v1/namespaces/{ns}/events", async (string ns, HttpContext c) =>
            Wire.Json(sim.Store.CreateEvent(ns, await ReadObject(c), true), 201));

        app.MapPost("/api/v1/namespaces/{ns}/serviceaccounts/{name}/token", (string ns, string name, HttpContext c) => CreateToken(c, sim, ns, name));
    }

    private static void MapType(WebApplication app, Sim sim, ApiGateway gateway, ResourceType type)
    {
        var root = type.Group.Length == 0 ? "/api/v1" : $"/apis/{type.Group}/v1";
        var collection = type.Namespaced ? $"{root}/namespaces/{{ns}}/{type.Resource}" : $"{root}/{type.Resource}";
        var item = collection + "/{name}";
        static string Ns(HttpContext c) => c.GetRouteValue("ns") as string ?? "";
        static string Name(HttpContext c) => c.GetRouteValue("name") as string ?? "";

        if (type.Namespaced)
            app.MapGet($"{root}/{type.Resource}", Wire.Handler(c => ListOrWatch(c, sim, gateway, type, null)));
        app.MapGet(collection, Wire.Handler(c => ListOrWatch(c, sim, gateway, type, Ns(c))));
        app.MapPost(collection, Wire.Handler(async c => Wire.Json(sim.Store.Create(type, Ns(c), await ReadObject(c)), 201)));
        app.MapGet(item, (HttpContext c) => Wire.Json(sim.Store.Get(type, Ns(c), Name(c))));
        app.MapMethods(item, ["PATCH"], Wire.Handler(c => Patch(c, sim, type, Ns(c), Name(c), false)));
        app.MapDelete(item, Wire.Handler(async c => Wire.Json(sim.Store.Delete(type, Ns(c), Name(c), await ReadDeleteOptions(c)))));
        // Pods are not replaced whole: the apiserver forbids almost every spec change, which the simulator does not model.
        if (type != ResourceType.Pods)
            app.MapPut(item, Wire.Handler(async c => Wire.Json(sim.Store.Update(type, Ns(c), Name(c), await ReadObject(c), false))));
        if (type.HasStatus)
        {
            app.MapGet(item + "/status", (HttpContext c) => Wire.Json(sim.Store.Get(type, Ns(c), Name(c))));
            app.MapMethods(item + "/status", ["PATCH"], Wire.Handler(c => Patch(c, sim, type, Ns(c), Name(c), true)));
            app.MapPut(item + "/status", Wire.Handler(async c => Wire.Json(sim.Store.Update(type, Ns(c), Name(c), await ReadObject(c), true))));
        }
    }

    private static async Task<IResult> ListOrWatch(HttpContext c, Sim sim, ApiGateway gateway, ResourceType type, string? ns)
    {
        var q = c.Request.Query;
        var fields = FieldSelector.Parse(q["fieldSelector"].ToString(), type);
        var labels = LabelSelector.Parse(q["labelSelector"].ToString());
        var rv = q["resourceVersion"].ToString();
        var match = q["resourceVersionMatch"].ToString();
        var isWatch = RequestAttributes.IsTrue(q["watch"].ToString());

        // "Not older than N": the apiserver waits up to 3 s for a resourceVersion it has not reached yet.
        if (rv.Length > 0 && rv != "0" && match != "Exact")
        {
            var wanted = SimStore.ParseVersion(rv);
            if (!await sim.Store.WaitForVersionAsync(wanted, TimeSpan.FromSeconds(3), c.RequestAborted) && !isWatch)
                throw ApiError.TooLargeResourceVersion(wanted, sim.Store.ResourceVersion);
        }
        if (isWatch)
        {
            var watcher = sim.Store.Watch(type, ns, fields, labels, rv, ApiGateway.UserOf(c) ?? "", c.Request.QueryString.Value ?? "");
            int? timeout = int.TryParse(q["timeoutSeconds"].ToString(), out var t) && t > 0 ? t : null;
            return new WatchResult(sim, gateway, watcher, RequestAttributes.IsTrue(q["allowWatchBookmarks"].ToString()), timeout);
        }
        int? limit = int.TryParse(q["limit"].ToString(), out var l) && l > 0 ? l : null;
        return Wire.Json(sim.Store.List(type, ns, new ListQuery(fields, labels, rv.Length == 0 ? null : rv, match.Length == 0 ? null : match,
            limit, q["continue"].ToString())));
    }

    private static async Task<IResult> Patch(HttpContext context, Sim sim, ResourceType type, string ns, string name, bool status)
    {
        var mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var patchType = mediaType switch
        {
            "application/merge-patch+json" => "merge",
            "application/strategic-merge-patch+json" => "strategic",
            "application/json-patch+json" => "json",
            _ => throw ApiError.UnsupportedMediaType(context.Request.ContentType ?? ""),
        };
        var patch = await JsonNode.ParseAsync(context.Request.Body);
        return Wire.Json(sim.Store.Patch(type, ns, name, patchType, patch, status));
    }

    private static async Task<JsonObject> ReadObject(HttpContext context)
    {
        var node = await JsonNode.ParseAsync(context.Request.Body);
        return node as JsonObject ?? throw ApiError.BadRequest("the request body is not a JSON object");
    }

    /// <summary>DeleteOptions from the body (optional) and the gracePeriodSeconds query parameter, which wins.</summary>
    private static async Task<DeleteOptions> ReadDeleteOptions(HttpContext context)
    {
        JsonObject? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        long? grace = body?["gracePeriodSeconds"]?.GetValue<long>();
        if (long.TryParse(context.Request.Query["gracePeriodSeconds"].ToString(), out var g)) grace = g;
        if (grace < 0) grace = 0;
        return new DeleteOptions(grace, body?["preconditions"]?["uid"]?.GetValue<string>(), body?["preconditions"]?["resourceVersion"]?.GetValue<string>());
    }
}

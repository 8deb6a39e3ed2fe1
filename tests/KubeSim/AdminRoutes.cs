using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>The /_sim/ admin API: seed and read pods, read recordings, inject faults, compact history, close watches, set RBAC rules. No authentication.</summary>
public static class AdminRoutes
{
    public static void Map(WebApplication app, Sim sim)
    {
        var store = sim.Store;
        app.MapPost("/_sim/pods", Wire.Handler(c => AdminCall(c, body => Wire.Json(store.Put(ResourceType.Pods, body)))));
        app.MapGet("/_sim/pods/{ns}/{name}", (string ns, string name) =>
            store.Find(ResourceType.Pods, ns, name) is { } pod ? Wire.Json(pod) : Wire.Json(ApiError.NotFound("pods", name).ToStatus(), 404));
        app.MapDelete("/_sim/pods/{ns}/{name}", (string ns, string name) =>
            store.Remove(ResourceType.Pods, ns, name) ? Results.NoContent() : Wire.Json(ApiError.NotFound("pods", name).ToStatus(), 404));

        app.MapGet("/_sim/requests", (string? user) =>
            Wire.Json(new JsonArray(store.Requests().Where(r => user is null || r.User == user).Select(r => (JsonNode)ApiGateway.Describe(r)).ToArray())));
        app.MapGet("/_sim/events", () => Wire.Json(store.Events()));

        app.MapPost("/_sim/faults", Wire.Handler(c => AdminCall(c, f =>
        {
            var count = f["count"]?.GetValue<int>() ?? 0;
            store.AddFault(new Fault
            {
                Method = f["method"]?.GetValue<string>(),
                PathContains = f["pathContains"]?.GetValue<string>(),
                Status = f["status"]?.GetValue<int>() ?? 0,
                Count = count,
                Unlimited = count <= 0,
                LatencyMs = f["latencyMs"]?.GetValue<int>() ?? 0,
                RetryAfterSeconds = f["retryAfterSeconds"]?.GetValue<int>(),
                Abort = f["abort"]?.GetValue<bool>() ?? false,
            });
            return Results.NoContent();
        })));
        app.MapDelete("/_sim/faults", () => { store.ClearFaults(); return Results.NoContent(); });

        app.MapPost("/_sim/compact", (string? resource) =>
            OfType(resource, t => Wire.Json(new JsonObject { ["resourceVersion"] = store.Compact(t).ToString() })));
        app.MapGet("/_sim/watches", () => Wire.Json(store.Watches()));
        app.MapPost("/_sim/watches/close", (string? resource) =>
            OfType(resource, t => Wire.Json(new JsonObject { ["closed"] = store.CloseWatches(t) })));

        app.MapGet("/_sim/rbac", () => Wire.Json(sim.Access.ToJson()));
        app.MapPost("/_sim/rbac", Wire.Handler(c => AdminCall(c, body =>
        {
            var user = body["user"]?.GetValue<string>()
                       ?? (body["serviceAccount"]?.GetValue<string>() is { } sa && sa.Split('/') is [var ns, var name]
                           ? $"system:serviceaccount:{ns}:{name}"
                           : throw ApiError.BadRequest("expected \"user\" or \"serviceAccount\": \"namespace/name\""));
            var rules = body["rules"] as JsonArray ?? throw ApiError.BadRequest("expected \"rules\": [...]");
            sim.Access.Set(user, rules.Select(r => AccessRule.FromJson(r as JsonObject ?? throw ApiError.BadRequest("a rule is an object"))).ToList());
            return Results.NoContent();
        })));
        app.MapDelete("/_sim/rbac", (string? user) =>
        {
            if (user is null) sim.Access.Clear();
            else sim.Access.Remove(user);
            return Results.NoContent();
        });

        app.MapPost("/_sim/reset", () =>
        {
            store.Reset();
            sim.Access.Clear();
            return Results.NoContent();
        });
    }

    /// <summary>Runs the action for the named type (null = all types); an unknown name is a 404 Status.</summary>
    private static IResult OfType(string? resource, Func<ResourceType?, IResult> action)
    {
        if (resource is null) return action(null);
        var type = ResourceType.All.FirstOrDefault(t => t.Resource == resource);
        return type is null ? Wire.Json(ApiError.NotFound("resources", resource).ToStatus(), 404) : action(type);
    }

    // Admin calls bypass the API gateway, so they answer their own errors as Status objects.
    private static async Task<IResult> AdminCall(HttpContext context, Func<JsonObject, IResult> action)
    {
        try
        {
            var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? throw ApiError.BadRequest("expected a JSON object");
            return action(body);
        }
        catch (Exception e) when (e is ApiError or JsonException or InvalidOperationException or FormatException)
        {
            var error = e as ApiError ?? ApiError.BadRequest(e.Message);
            return Wire.Json(error.ToStatus(), error.Code);
        }
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using AliyunSim.Api;
using AliyunSim.Cloud;

namespace AliyunSim;

/// <summary>The unauthenticated /_sim/* admin surface for tests (inspection, faults, config, clock, reset).</summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app, Simulator sim)
    {
        app.MapGet("/_sim/eips", (HttpContext ctx) => Json(ctx, 200, sim.Cloud.Snapshot(includeReleased: ctx.Request.Query["history"] == "true")));
        // Console actions behind the plugin's back: unbind (through Unassociating, or ?immediate=true), delete (unbind, release).
        app.MapPost("/_sim/eips/{id}/unassociate", (HttpContext ctx, string id) =>
            ConsoleAction(ctx, () => sim.Cloud.ConsoleUnassociate(id, immediate: ctx.Request.Query["immediate"] == "true")));
        app.MapDelete("/_sim/eips/{id}", (HttpContext ctx, string id) => ConsoleAction(ctx, () => sim.Cloud.ConsoleDelete(id)));
        app.MapPost("/_sim/eips", async (HttpContext ctx) =>
        {
            var body = await Body(ctx);
            var bind = body["bindTo"] as JsonObject;
            try
            {
                var eip = sim.Cloud.CreateUserEip(body["ipAddress"]?.GetValue<string>(), World.StringMap(body["tags"]),
                    bind?["networkInterfaceId"]?.GetValue<string>(), bind?["privateIpAddress"]?.GetValue<string>());
                await Json(ctx, 200, eip);
            }
            catch (ApiException e)
            {
                await Json(ctx, 400, new JsonObject { ["error"] = e.Code, ["message"] = e.Message });
            }
        });
        app.MapGet("/_sim/requests", (HttpContext ctx) =>
            Json(ctx, 200, sim.Requests.Since(long.TryParse(ctx.Request.Query["since"], out var s) ? s : 0)));
        app.MapGet("/_sim/faults", (HttpContext ctx) => Json(ctx, 200, new JsonObject { ["faults"] = sim.Faults.List() }));
        app.MapPost("/_sim/faults", async (HttpContext ctx) =>
        {
            try
            {
                await Json(ctx, 200, sim.Faults.Add(await Body(ctx)).ToJson());
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            {
                await Json(ctx, 400, new JsonObject { ["error"] = e.Message });
            }
        });
        app.MapDelete("/_sim/faults", (HttpContext ctx) => { sim.Faults.Clear(); return Json(ctx, 200, []); });
        app.MapPost("/_sim/config", async (HttpContext ctx) =>
        {
            var b = await Body(ctx);
            var c = sim.Config;
            if (b["associateMs"] is { } a) c.AssociateMs = a.GetValue<int>();
            if (b["unassociateMs"] is { } u) c.UnassociateMs = u.GetValue<int>();
            if (b["releaseMs"] is { } r) c.ReleaseMs = r.GetValue<int>();
            if (b["latencyMs"] is { } l) c.LatencyMs = l.GetValue<int>();
            if (b["throttle"] is { } t) c.Throttle = t.GetValue<string>() switch
            {
                "real" => true,
                "off" => false,
                var other => throw new BadHttpRequestException($"throttle must be real or off, not {other}"),
            };
            if (b["limits"] is JsonObject limits)
                foreach (var (action, v) in limits) c.SetLimit(action, v!.GetValue<int>());
            if (b["hardenedMetadata"] is { } h) c.HardenedMetadata = h.GetValue<bool>();
            if (b["credentialTtlSeconds"] is { } ttl) c.CredentialTtlSeconds = ttl.GetValue<int>();
            if (b["releaseInCbwp"] is { } rc) c.ReleaseInCbwpAllowed = rc.GetValue<string>() == "allow";
            if (b["transitionConflictCode"] is { } tc) c.TaskConflictDuringTransition = tc.GetValue<string>() == "TaskConflict";
            await Json(ctx, 200, ConfigJson(sim));
        });
        app.MapGet("/_sim/config", (HttpContext ctx) => Json(ctx, 200, ConfigJson(sim)));
        app.MapPost("/_sim/clock", async (HttpContext ctx) =>
        {
            var b = await Body(ctx);
            sim.Clock.Advance(TimeSpan.FromSeconds(b["advanceSeconds"]?.GetValue<double>() ?? 0));
            await Json(ctx, 200, new JsonObject { ["now"] = Services.SimClock.Iso(sim.Clock.UtcNow) });
        });
        app.MapPost("/_sim/reset", (HttpContext ctx) => { sim.Reset(); return Json(ctx, 200, []); });
    }

    static Task ConsoleAction(HttpContext ctx, Func<JsonObject> action)
    {
        try
        {
            return Json(ctx, 200, action());
        }
        catch (ApiException e)
        {
            return Json(ctx, e.HttpStatus, new JsonObject { ["error"] = e.Code, ["message"] = e.Message });
        }
    }

    static JsonObject ConfigJson(Simulator sim)
    {
        var c = sim.Config;
        return new JsonObject
        {
            ["associateMs"] = c.AssociateMs, ["unassociateMs"] = c.UnassociateMs, ["releaseMs"] = c.ReleaseMs,
            ["latencyMs"] = c.LatencyMs, ["throttle"] = c.Throttle ? "real" : "off", ["hardenedMetadata"] = c.HardenedMetadata,
            ["credentialTtlSeconds"] = c.CredentialTtlSeconds, ["releaseInCbwp"] = c.ReleaseInCbwpAllowed ? "allow" : "deny",
            ["transitionConflictCode"] = c.TaskConflictDuringTransition ? "TaskConflict" : "IncorrectEipStatus",
        };
    }

    static async Task<JsonObject> Body(HttpContext ctx)
    {
        try
        {
            var node = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            return node as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    static Task Json(HttpContext ctx, int status, JsonObject body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(body.ToJsonString(AliyunSim.Api.SimJson.Options));
    }
}

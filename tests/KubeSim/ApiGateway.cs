using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>
/// The front of every API request (not /_sim/): authentication, authorization, injected faults, errors answered as Status objects,
/// and the recording of the request with the identity that made it.
/// </summary>
public sealed class ApiGateway(Sim sim)
{
    private sealed class Facts(string body, RequestAttributes? attributes)
    {
        public string Body { get; } = body;
        public RequestAttributes? Attributes { get; } = attributes;
        public string? User { get; set; }
        public bool Recorded { get; set; }
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith("/_sim/", StringComparison.Ordinal)) { await next(context); return; }

        context.Request.EnableBuffering();
        string body;
        using (var reader = new StreamReader(context.Request.Body, leaveOpen: true)) body = await reader.ReadToEndAsync();
        context.Request.Body.Position = 0;
        var facts = new Facts(body, RequestAttributes.Parse(context.Request.Method, path, context.Request.Query));
        context.Items[typeof(Facts)] = facts;
        try
        {
            facts.User = sim.Auth.Authenticate(context);
            if (facts.Attributes is not null) sim.Access.Check(facts.User, facts.Attributes);
            var fault = sim.Store.TakeFault(context.Request.Method, path);
            if (fault is not null)
            {
                if (fault.LatencyMs > 0) await Task.Delay(fault.LatencyMs, context.RequestAborted);
                if (fault.Abort) { context.Abort(); return; }
                if (fault.Status > 0) throw ApiError.ForFault(fault.Status, path, fault.RetryAfterSeconds);
            }
            await next(context);
        }
        catch (ApiError e)
        {
            await WriteStatus(context, e);
        }
        catch (JsonException e)
        {
            await WriteStatus(context, ApiError.BadRequest($"error decoding request body: {e.Message}"));
        }
        catch (InvalidOperationException e) when (!context.Response.HasStarted)
        {
            // JsonNode accessors throw this on a value of the wrong JSON type.
            await WriteStatus(context, ApiError.BadRequest($"error decoding request body: {e.Message}"));
        }
        finally
        {
            Record(context, context.Response.StatusCode);
        }
    }

    /// <summary>The authenticated user of a request the gateway let through.</summary>
    public static string? UserOf(HttpContext context) => (context.Items[typeof(Facts)] as Facts)?.User;

    /// <summary>Records the request now (once): a watch records itself when its stream starts, not when it ends.</summary>
    public void Record(HttpContext context, int status)
    {
        if (context.Items[typeof(Facts)] is not Facts facts || facts.Recorded) return;
        facts.Recorded = true;
        var r = new RequestRecord(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value?.TrimStart('?') ?? "",
            context.Request.ContentType, status, facts.User, facts.Body.Length == 0 ? null : facts.Body, facts.Attributes);
        sim.Store.Record(r);
        Console.Error.WriteLine($"kubesim: {r.Method} {r.Path}{(r.Query.Length > 0 ? "?" + r.Query : "")} {r.Status} user={r.User ?? "-"}");
    }

    public static JsonObject Describe(RequestRecord r)
    {
        var o = new JsonObject
        {
            ["method"] = r.Method, ["path"] = r.Path, ["query"] = r.Query, ["contentType"] = r.ContentType,
            ["status"] = r.Status, ["user"] = r.User, ["body"] = r.Body,
        };
        if (r.Attributes is { } a)
        {
            o["verb"] = a.Verb;
            o["apiGroup"] = a.ApiGroup;
            o["resource"] = a.ResourceWithSubresource;
            o["namespace"] = a.Namespace;
            o["name"] = a.Name;
        }
        return o;
    }

    public static async Task WriteStatus(HttpContext context, ApiError error)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = error.Code;
        context.Response.ContentType = "application/json";
        if (error.RetryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString();
        await context.Response.WriteAsync(error.ToStatus().ToJsonString(Wire.Options));
    }
}

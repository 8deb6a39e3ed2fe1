using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using KubeSim;
using Microsoft.AspNetCore.Server.Kestrel.Https;

// KubeSim: a small kube-apiserver stand-in for tests. HTTPS only, bearer-token or client-certificate auth,
// the pod/event/lease endpoints eip-cni uses, and /_sim/ admin endpoints to seed state, read recordings and inject faults.
// It shares no code with src/: it checks the product's understanding of the protocol with its own.

var options = SimOptions.Parse(args);
if (options is null) return 2;

var seedPods = new JsonArray();
if (options.Seed is not null)
{
    var seed = JsonNode.Parse(File.ReadAllText(options.Seed)) as JsonObject
               ?? throw new InvalidDataException($"{options.Seed}: expected a JSON object {{\"pods\":[...]}}");
    if (seed["pods"] is JsonArray pods) seedPods = (JsonArray)pods.DeepClone();
}

var store = new SimStore(seedPods);
var pki = SimPki.Create();
var adminToken = "sim-admin." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
var readOnlyToken = "sim-readonly." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
var users = new Dictionary<string, SimUser>(StringComparer.Ordinal)
{
    [adminToken] = new("kubesim-admin", ReadOnly: false),
    [readOnlyToken] = new("system:serviceaccount:kube-system:kubesim-readonly", ReadOnly: true),
};

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = Array.Empty<string>() });
builder.Logging.ClearProviders();
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout carries only the ready line
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(options.Listen, lo => lo.UseHttps(https =>
    {
        https.ServerCertificate = pki.Server;
        // Accept any certificate at the handshake; the request pipeline decides (401 for one our CA did not issue).
        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
        https.AllowAnyClientCertificate();
    }));
});
var app = builder.Build();

app.Use(async (context, next) =>
{
    var path = context.Request.Path.Value ?? "/";
    if (path.StartsWith("/_sim/", StringComparison.Ordinal)) { await next(context); return; }

    context.Request.EnableBuffering();
    string body;
    using (var reader = new StreamReader(context.Request.Body, leaveOpen: true)) body = await reader.ReadToEndAsync();
    context.Request.Body.Position = 0;
    string? user = null;
    try
    {
        var who = Authenticate(context);
        user = who.Name;
        Authorize(who, context.Request.Method, path);
        var fault = store.TakeFault(context.Request.Method, path);
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
        var record = new RequestRecord(context.Request.Method, path, context.Request.ContentType, context.Response.StatusCode, user,
            body.Length == 0 ? null : body);
        store.Record(record);
        Console.Error.WriteLine($"kubesim: {record.Method} {record.Path} {record.Status} user={record.User ?? "-"}");
    }
});

// ---- core/v1 pods ----
app.MapGet("/api/v1/namespaces/{ns}/pods/{name}", (string ns, string name) => Json(store.GetPod(ns, name)));
app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/status", (string ns, string name) => Json(store.GetPod(ns, name)));
app.MapMethods("/api/v1/namespaces/{ns}/pods/{name}", ["PATCH"], (string ns, string name, HttpContext c) => PatchPod(c, ns, name, false));
app.MapMethods("/api/v1/namespaces/{ns}/pods/{name}/status", ["PATCH"], (string ns, string name, HttpContext c) => PatchPod(c, ns, name, true));

// ---- events, both APIs ----
app.MapPost("/api/v1/namespaces/{ns}/events", async (string ns, HttpContext c) => Json(store.CreateEvent(ns, await ReadObject(c), false), 201));
app.MapPost("/apis/events.k8s.io/v1/namespaces/{ns}/events", async (string ns, HttpContext c) => Json(store.CreateEvent(ns, await ReadObject(c), true), 201));

// ---- coordination.k8s.io/v1 leases ----
const string leases = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases";
app.MapGet(leases, (string ns) => Json(store.ListLeases(ns)));
app.MapPost(leases, async (string ns, HttpContext c) => Json(store.CreateLease(ns, await ReadObject(c)), 201));
app.MapGet(leases + "/{name}", (string ns, string name) => Json(store.GetLease(ns, name)));
app.MapPut(leases + "/{name}", async (string ns, string name, HttpContext c) => Json(store.UpdateLease(ns, name, await ReadObject(c))));

// ---- admin (no auth) ----
app.MapPost("/_sim/pods", (HttpContext c, CancellationToken _) => AdminCall(c, async body => Json(store.PutPod(body))));
app.MapGet("/_sim/pods/{ns}/{name}", (string ns, string name) =>
    store.FindPod(ns, name) is { } pod ? Json(pod) : Json(ApiError.NotFound("pods", name).ToStatus(), 404));
app.MapDelete("/_sim/pods/{ns}/{name}", (string ns, string name) =>
    store.DeletePod(ns, name) ? Results.NoContent() : Json(ApiError.NotFound("pods", name).ToStatus(), 404));
app.MapGet("/_sim/requests", () =>
{
    var list = new JsonArray();
    foreach (var r in store.Requests())
        list.Add(new JsonObject
        {
            ["method"] = r.Method, ["path"] = r.Path, ["contentType"] = r.ContentType,
            ["status"] = r.Status, ["user"] = r.User, ["body"] = r.Body,
        });
    return Json(list);
});
app.MapGet("/_sim/events", () => Json(store.Events()));
app.MapPost("/_sim/faults", (HttpContext c, CancellationToken _) => AdminCall(c, async f =>
{
    await Task.CompletedTask;
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
}));
app.MapDelete("/_sim/faults", () => { store.ClearFaults(); return Results.NoContent(); });
app.MapPost("/_sim/reset", () => { store.Reset(); return Results.NoContent(); });

app.MapFallback((HttpContext c) => Json(ApiError.RouteNotFound().ToStatus(), 404));

await app.StartAsync();

var address = app.Urls.First();
var port = new Uri(address).Port;
var host = options.Listen.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
    ? $"[{options.Listen.Address}]" : options.Listen.Address.ToString();
var url = $"https://{host}:{port}";
var dir = options.Dir ?? Directory.CreateTempSubdirectory("kubesim-").FullName;
var files = pki.WriteFiles(dir, url, adminToken);

var ready = new JsonObject
{
    ["url"] = url,
    ["kubeconfig"] = files.Kubeconfig,
    ["kubeconfigClientCert"] = files.KubeconfigCert,
    ["caFile"] = files.CaFile,
    ["clientCert"] = Path.Combine(dir, "client.crt"),
    ["clientKey"] = Path.Combine(dir, "client.key"),
    ["token"] = adminToken,
    ["readOnlyToken"] = readOnlyToken,
    ["dir"] = dir,
};
Console.Out.WriteLine(ready.ToJsonString());
Console.Out.Flush();
Console.Error.WriteLine($"kubesim: ready on {url}, files in {dir}");

await app.WaitForShutdownAsync();
return 0;

// ---------------------------------------------------------------------------------------------

SimUser Authenticate(HttpContext context)
{
    var header = context.Request.Headers.Authorization.ToString();
    if (header.Length > 0)
    {
        const string bearer = "Bearer ";
        if (header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) && users.TryGetValue(header[bearer.Length..].Trim(), out var u))
            return u;
        throw ApiError.Unauthorized();
    }
    var cert = context.Connection.ClientCertificate;
    if (cert is not null && pki.IsIssuedByCa(cert)) return new SimUser(SimPki.UserOf(cert), ReadOnly: false);
    throw ApiError.Unauthorized();
}

static void Authorize(SimUser user, string method, string path)
{
    if (!user.ReadOnly || method is "GET" or "HEAD") return;
    // /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]] or /apis/{group}/{version}/namespaces/{ns}/...
    var parts = path.Trim('/').Split('/');
    var group = "";
    var i = 2;
    if (parts[0] == "apis") { group = parts.Length > 1 ? parts[1] : ""; i = 3; }
    var ns = parts.Length > i + 1 ? parts[i + 1] : "";
    var resource = parts.Length > i + 2 ? parts[i + 2] : "";
    var name = parts.Length > i + 3 ? parts[i + 3] : null;
    if (parts.Length > i + 4) resource += "/" + parts[i + 4];
    var verb = method switch { "POST" => "create", "PUT" => "update", "PATCH" => "patch", "DELETE" => "delete", _ => method.ToLowerInvariant() };
    throw ApiError.Forbidden(user.Name, verb, resource, group, ns, name);
}

async Task<IResult> PatchPod(HttpContext context, string ns, string name, bool status)
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
    return Json(store.PatchPod(ns, name, patchType, patch, status));
}

static async Task<JsonObject> ReadObject(HttpContext context)
{
    var node = await JsonNode.ParseAsync(context.Request.Body);
    return node as JsonObject ?? throw ApiError.BadRequest("the request body is not a JSON object");
}

// Admin calls bypass the API middleware, so they answer their own errors as Status objects.
static async Task<IResult> AdminCall(HttpContext context, Func<JsonObject, Task<IResult>> action)
{
    try
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? throw ApiError.BadRequest("expected a JSON object");
        return await action(body);
    }
    catch (Exception e) when (e is ApiError or JsonException or InvalidOperationException or FormatException)
    {
        var error = e as ApiError ?? ApiError.BadRequest(e.Message);
        return Json(error.ToStatus(), error.Code);
    }
}

static IResult Json(JsonNode node, int code = 200) =>
    Results.Content(node.ToJsonString(Wire.Options), "application/json", null, code);

static async Task WriteStatus(HttpContext context, ApiError error)
{
    if (context.Response.HasStarted) return;
    context.Response.StatusCode = error.Code;
    context.Response.ContentType = "application/json";
    if (error.RetryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString();
    await context.Response.WriteAsync(error.ToStatus().ToJsonString(Wire.Options));
}

/// <summary>JSON as the apiserver writes it: quotes as \", not \u0022.</summary>
internal static class Wire
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>An authenticated caller.</summary>
internal sealed record SimUser(string Name, bool ReadOnly);

/// <summary>Command-line options: --listen HOST:PORT (0 = a free port), --seed FILE, --dir DIR.</summary>
internal sealed record SimOptions(IPEndPoint Listen, string? Seed, string? Dir)
{
    public static SimOptions? Parse(string[] args)
    {
        IPEndPoint listen = new(IPAddress.Loopback, 0);
        string? seed = null, dir = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--listen":
                    var text = Value();
                    if (!IPEndPoint.TryParse(text, out var ep)) { Console.Error.WriteLine($"kubesim: --listen {text}: expected IP:PORT"); return null; }
                    listen = ep;
                    break;
                case "--seed": seed = Value(); break;
                case "--dir": dir = Value(); break;
                default:
                    Console.Error.WriteLine($"kubesim: unknown argument {args[i]}; usage: --listen IP:PORT [--seed FILE] [--dir DIR]");
                    return null;
            }
        }
        return new SimOptions(listen, seed, dir);
    }
}

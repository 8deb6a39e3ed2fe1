using AliyunSim;
using AliyunSim.Api;
using AliyunSim.Cloud;
using AliyunSim.Services;

SimOptions options;
World world;
try
{
    options = SimOptions.Parse(args);
    world = options.SeedPath is null ? World.CreateDefault() : World.Load(options.SeedPath);
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or System.Text.Json.JsonException or InvalidOperationException)
{
    Console.Error.WriteLine($"AliyunSim: {e.Message}\n{SimOptions.Usage}");
    return 2;
}

var config = new SimConfig
{
    AssociateMs = options.AssociateMs,
    UnassociateMs = options.UnassociateMs,
    ReleaseMs = options.ReleaseMs,
    Throttle = options.Throttle,
    LatencyMs = options.LatencyMs,
    HardenedMetadata = options.HardenedMetadata,
    CredentialTtlSeconds = world.CredentialTtlSeconds,
};
var sim = new Simulator(world, config);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders(); // stdout carries only the ready line
builder.WebHost.UseUrls("http://" + options.Listen);
var app = builder.Build();

var openApi = new OpenApiEndpoint(sim);
app.MapMethods("/", ["GET", "POST", "HEAD"], openApi.Handle);
app.MapPut("/latest/api/token", async (HttpContext ctx) =>
{
    var (status, body) = sim.Metadata.IssueToken(ctx.Request.Headers["X-aliyun-ecs-metadata-token-ttl-seconds"].FirstOrDefault(),
        ctx.Request.Headers.ContainsKey("X-Forwarded-For"));
    Console.Error.WriteLine($"{{\"metadata\":\"PUT /latest/api/token\",\"httpStatus\":{status}}}");
    ctx.Response.StatusCode = status;
    ctx.Response.ContentType = "text/plain";
    await ctx.Response.WriteAsync(body);
});
app.MapGet("/latest/meta-data/{**path}", async (HttpContext ctx) =>
{
    var path = (string?)ctx.Request.RouteValues["path"] ?? "";
    var (status, type, body) = sim.Metadata.Get(path, ctx.Request.Headers["X-aliyun-ecs-metadata-token"].FirstOrDefault());
    Console.Error.WriteLine(new System.Text.Json.Nodes.JsonObject { ["metadata"] = "GET /latest/meta-data/" + path, ["httpStatus"] = status }.ToJsonString(AliyunSim.Api.SimJson.Options));
    ctx.Response.StatusCode = status;
    ctx.Response.ContentType = type;
    await ctx.Response.WriteAsync(body);
});
AdminEndpoints.Map(app, sim);

await app.StartAsync();
var url = app.Urls.First();
Console.Out.WriteLine(world.ReadyLine(url));
Console.Out.Flush();
await app.WaitForShutdownAsync();
return 0;

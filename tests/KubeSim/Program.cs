using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KubeSim;
using Microsoft.AspNetCore.Server.Kestrel.Https;

// KubeSim: a small kube-apiserver stand-in for tests. HTTPS only; bearer-token, client-certificate and service-account-token auth;
// pods, configmaps, nodes, leases, service accounts (with TokenRequest) and events, with list, watch and selectors; a minimal RBAC;
// and /_sim/ admin endpoints to seed state, read recordings and inject faults.
// It shares no code with src/: it checks the product's understanding of the protocol with its own.

var options = SimOptions.Parse(args);
if (options is null) return 2;

var seed = new JsonObject();
if (options.Seed is not null)
    seed = JsonNode.Parse(File.ReadAllText(options.Seed)) as JsonObject
           ?? throw new InvalidDataException($"{options.Seed}: expected a JSON object {{\"pods\":[...],\"nodes\":[...],\"configmaps\":[...]}}");

var store = new SimStore(seed, options.WatchHistory);
var pki = SimPki.Create();
using var tokens = new ServiceAccountTokens();
var adminToken = "sim-admin." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
var readOnlyToken = "sim-readonly." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
const string readOnlyUser = "system:serviceaccount:kube-system:kubesim-readonly";
var staticTokens = new Dictionary<string, string>(StringComparer.Ordinal) { [adminToken] = "kubesim-admin", [readOnlyToken] = readOnlyUser };
var access = new AccessRules(new Dictionary<string, List<AccessRule>>
{
    [readOnlyUser] = [new AccessRule(["get", "list", "watch"], ["*"], ["*"], null)],
});
var auth = new Authenticator(pki, tokens, store, staticTokens, TimeSpan.FromSeconds(options.TokenLeewaySeconds));

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

var sim = new Sim(options, store, tokens, access, auth, app.Lifetime.ApplicationStopping);
var gateway = new ApiGateway(sim);
app.Use(gateway.InvokeAsync);
ApiRoutes.Map(app, sim, gateway);
AdminRoutes.Map(app, sim);
app.MapFallback((HttpContext c) =>
{
    // A stored type with a method the simulator does not serve (PUT of a pod, DELETE of a collection) is 405, anything else 404.
    var known = RequestAttributes.Parse(c.Request.Method, c.Request.Path.Value ?? "/", c.Request.Query) is { } a
                && ResourceType.All.Any(t => t.Resource == a.Resource && t.Group == a.ApiGroup && (a.Subresource.Length == 0 || a.Subresource == "status" && t.HasStatus));
    var error = known ? ApiError.MethodNotAllowed() : ApiError.RouteNotFound();
    return Wire.Json(error.ToStatus(), error.Code);
});

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

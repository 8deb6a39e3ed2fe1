using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EipCni.Tests.Cloud;

/// <summary>Skips the test while tests/AliyunSim is still the placeholder (the simulator lands in its own branch).</summary>
public sealed class SimFactAttribute : FactAttribute
{
    public SimFactAttribute()
    {
        if (SimulatorFixture.UnavailableReason() is { } why) Skip = why;
    }
}

/// <summary>
/// One AliyunSim process for a test class, started with <c>scripts/aliyun-sim.sh --listen 127.0.0.1:0</c>; the ready line
/// is its world. <c>EIPCNI_SIM_ROOT</c> may point at another checkout that holds a built simulator.
/// </summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    private Process? _process;
    private readonly StringBuilder _stderr = new();

    public JsonObject World { get; private set; } = new();
    public Uri Url => new((string)World["url"]!);
    public string Region => (string)World["region"]!;
    public string AccessKeyId => (string)World["accessKeyId"]!;
    public string AccessKeySecret => (string)World["accessKeySecret"]!;
    public HttpClient Admin { get; } = new();

    public static string? RepoRoot()
    {
        if (Environment.GetEnvironmentVariable("EIPCNI_SIM_ROOT") is { Length: > 0 } overridden) return overridden;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EipCni.sln"))) return dir.FullName;
        return null;
    }

    public static string? UnavailableReason()
    {
        var root = RepoRoot();
        if (root is null) return "no EipCni.sln above the test binaries";
        var program = Path.Combine(root, "tests", "AliyunSim", "Program.cs");
        if (!File.Exists(Path.Combine(root, "scripts", "aliyun-sim.sh")) || !File.Exists(program)
            || File.ReadAllText(program).Contains("not built yet", StringComparison.Ordinal))
            return "AliyunSim is still the placeholder in " + root + " (merge the simulator, or set EIPCNI_SIM_ROOT)";
        return null;
    }

    public async Task InitializeAsync()
    {
        if (UnavailableReason() is not null) return;
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot()!, "scripts", "aliyun-sim.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--listen", "127.0.0.1:0", "--associate-ms", "300", "--unassociate-ms", "300", "--release-ms", "200" })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        // The first start may build the simulator.
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3));
        if (line is null) throw new InvalidOperationException("AliyunSim exited before its ready line: " + Stderr);
        World = JsonNode.Parse(line)!.AsObject();
        SecretWitness.Secret(AccessKeySecret);
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.Dispose();
        Admin.Dispose();
        return Task.CompletedTask;
    }

    public async Task ResetAsync()
    {
        (await Admin.PostAsync(new Uri(Url, "/_sim/reset"), null)).EnsureSuccessStatusCode();
        await PostAsync("/_sim/config", new JsonObject { ["throttle"] = "real", ["hardenedMetadata"] = false });
    }

    public async Task PostAsync(string path, JsonObject body) =>
        (await Admin.PostAsync(new Uri(Url, path), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

    public async Task<JsonObject> GetAsync(string path) =>
        JsonNode.Parse(await Admin.GetStringAsync(new Uri(Url, path)))!.AsObject();

    /// <summary>The sim's request log entries for <paramref name="action"/>.</summary>
    public async Task<List<JsonObject>> RequestsAsync(string action) =>
        (await GetAsync("/_sim/requests"))["requests"]!.AsArray().Select(n => n!.AsObject())
            .Where(r => (string?)r["action"] == action).ToList();

    public async Task<List<JsonObject>> EipsAsync() =>
        (await GetAsync("/_sim/eips"))["eips"]!.AsArray().Select(n => n!.AsObject()).ToList();

    public JsonObject Eni(int index) => World["enis"]!.AsArray()[index]!.AsObject();

    public static string Json(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions()) ?? "null";
}

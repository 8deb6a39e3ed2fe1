using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace EipCni.Tests.Kube;

/// <summary>Runs the real KubeSim process (scripts/kube-sim.sh) once for the collection and talks to its /_sim/ admin API.</summary>
public class KubeSimFixture : IAsyncLifetime
{
    private Process? _process;
    private readonly StringBuilder _stderr = new();
    private HttpClient? _admin;

    public string Url { get; private set; } = "";
    public string Kubeconfig { get; private set; } = "";
    public string KubeconfigClientCert { get; private set; } = "";
    public string CaFile { get; private set; } = "";
    public string Token { get; private set; } = "";
    public string ReadOnlyToken { get; private set; } = "";
    public string Dir { get; private set; } = "";

    /// <summary>Options added to the simulator's command line (none: its defaults, as a real apiserver).</summary>
    protected virtual IEnumerable<string> Options => [];

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EipCni.sln"))) return dir.FullName;
        throw new InvalidOperationException("EipCni.sln not found above " + AppContext.BaseDirectory);
    }

    public async Task InitializeAsync()
    {
        var root = RepoRoot();
        Dir = Directory.CreateTempSubdirectory("kubesim-test-").FullName;
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var a in new[] { Path.Combine(root, "scripts", "kube-sim.sh"), "--listen", "127.0.0.1:0", "--dir", Dir }.Concat(Options))
            start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException("cannot start kube-sim.sh");
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();

        // The script may build the simulator first; give it time, but fail with its stderr rather than hang.
        var readLine = _process.StandardOutput.ReadLineAsync();
        var finished = await Task.WhenAny(readLine, Task.Delay(TimeSpan.FromMinutes(3)));
        var line = finished == readLine ? await readLine : null;
        if (string.IsNullOrEmpty(line))
        {
            string err;
            lock (_stderr) err = _stderr.ToString();
            throw new InvalidOperationException("KubeSim did not print its ready line. stderr:\n" + err);
        }
        var ready = JsonNode.Parse(line)!;
        Url = ready["url"]!.GetValue<string>();
        Kubeconfig = ready["kubeconfig"]!.GetValue<string>();
        KubeconfigClientCert = ready["kubeconfigClientCert"]!.GetValue<string>();
        CaFile = ready["caFile"]!.GetValue<string>();
        Token = ready["token"]!.GetValue<string>();
        ReadOnlyToken = ready["readOnlyToken"]!.GetValue<string>();

        _admin = CreateHttpClient(bearerToken: null);
    }

    /// <summary>A raw HTTP client that trusts the simulator's CA with the test's own, independent check.</summary>
    public HttpClient CreateHttpClient(string? bearerToken)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(CaFile);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                if (cert is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri(Url) };
        if (bearerToken is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        return client;
    }

    public Task DisposeAsync()
    {
        _admin?.Dispose();
        _api?.Dispose();
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit(5000);
        _process?.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private HttpClient Admin => _admin ?? throw new InvalidOperationException("not started");

    public async Task ResetAsync() => (await Admin.PostAsync("/_sim/reset", null)).EnsureSuccessStatusCode();

    public async Task<JsonObject> PutPodAsync(string json)
    {
        var response = await Admin.PostAsync("/_sim/pods", Content(json));
        response.EnsureSuccessStatusCode();
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public async Task<JsonObject?> GetPodAsync(string ns, string name)
    {
        var response = await Admin.GetAsync($"/_sim/pods/{ns}/{name}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public async Task<JsonArray> EventsAsync() =>
        (JsonArray)JsonNode.Parse(await Admin.GetStringAsync("/_sim/events"))!;

    public async Task<JsonArray> RequestsAsync() =>
        (JsonArray)JsonNode.Parse(await Admin.GetStringAsync("/_sim/requests"))!;

    /// <summary>Requests the client sent with this method whose path contains the text.</summary>
    public async Task<List<JsonNode>> RequestsAsync(string method, string pathContains) =>
        (await RequestsAsync()).OfType<JsonNode>()
            .Where(r => r["method"]!.GetValue<string>() == method && r["path"]!.GetValue<string>().Contains(pathContains))
            .ToList();

    public async Task FaultAsync(string json) => (await Admin.PostAsync("/_sim/faults", Content(json))).EnsureSuccessStatusCode();

    public async Task ClearFaultsAsync() => (await Admin.DeleteAsync("/_sim/faults")).EnsureSuccessStatusCode();

    /// <summary>Any admin endpoint (<c>/_sim/...</c>); the answer as JSON (an empty object for an empty answer).</summary>
    public async Task<JsonNode> AdminAsync(string method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = json is null ? null : Content(json) };
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>A Kubernetes API call as the simulator's admin (what kubectl would do); throws on a status other than 2xx.</summary>
    public async Task<JsonNode> ApiAsync(string method, string path, string? json = null, string contentType = "application/json")
    {
        _api ??= CreateHttpClient(Token);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        using var response = await _api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    private HttpClient? _api;

    /// <summary>Waits until the simulator reports at least this many open watches (so a change is not made before the watch is registered).</summary>
    public async Task WaitForWatchesAsync(int count, string? resource = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (((JsonArray)await AdminAsync("GET", "/_sim/watches")).Count(w => resource is null || w!["resource"]?.GetValue<string>() == resource) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"fewer than {count} watches opened");
            await Task.Delay(20);
        }
    }

    private static StringContent Content(string json)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}

[CollectionDefinition("kubesim")]
public sealed class KubeSimCollection : ICollectionFixture<KubeSimFixture>;

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace KubeSim.Tests;

/// <summary>A KubeSim process (the build referenced by this project), its ready line, and raw HTTPS clients that trust its CA.</summary>
public sealed class KubeSimServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _admin;

    /// <summary>Options that make time-bound behaviour quick to observe: 1 s tokens without leeway, bookmarks every 0.3 s, a 20-change history.</summary>
    public static readonly string[] TestOptions =
        ["--min-token-seconds", "1", "--token-leeway-seconds", "0", "--bookmark-seconds", "0.3", "--watch-history", "20"];

    private KubeSimServer(Process process, JsonNode ready)
    {
        _process = process;
        Url = ready["url"]!.GetValue<string>();
        CaFile = ready["caFile"]!.GetValue<string>();
        Dir = ready["dir"]!.GetValue<string>();
        Token = ready["token"]!.GetValue<string>();
        ReadOnlyToken = ready["readOnlyToken"]!.GetValue<string>();
        _admin = CreateClient(null);
    }

    public string Url { get; }
    public string CaFile { get; }
    public string Dir { get; }
    public string Token { get; }
    public string ReadOnlyToken { get; }

    public static async Task<KubeSimServer> StartAsync(params string[] extraArgs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "KubeSim.dll");
        var dir = Directory.CreateTempSubdirectory("kubesim-tests-").FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--listen", "127.0.0.1:0", "--dir", dir }.Concat(extraArgs)) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + dll);
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();

        var readLine = process.StandardOutput.ReadLineAsync();
        var line = await Task.WhenAny(readLine, Task.Delay(TimeSpan.FromSeconds(60))) == readLine ? await readLine : null;
        if (string.IsNullOrEmpty(line))
        {
            if (!process.HasExited) process.Kill();
            lock (stderr) throw new InvalidOperationException("KubeSim did not print its ready line. stderr:\n" + stderr);
        }
        return new KubeSimServer(process, JsonNode.Parse(line)!);
    }

    /// <summary>A client that checks the server certificate against the simulator's CA with its own chain build; bearer token optional.</summary>
    public HttpClient CreateClient(string? bearerToken)
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
        var client = new HttpClient(handler) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        if (bearerToken is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        return client;
    }

    // ---- admin API ----

    public async Task ResetAsync() => (await _admin.PostAsync("/_sim/reset", null)).EnsureSuccessStatusCode();

    public async Task<JsonNode> AdminAsync(string method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>Waits until the simulator reports this many open watches (so a test does not change objects before its watch is registered).</summary>
    public async Task WaitForWatchesAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (((JsonArray)await AdminAsync("GET", "/_sim/watches")).Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"fewer than {count} watches opened");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        _process.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

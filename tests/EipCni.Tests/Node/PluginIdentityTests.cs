using System.Diagnostics;
using System.Net;
using EipCni.Kube;
using EipCni.Node;
using EipCni.Tests.Fakes;
using EipCni.Tests.Kube;
using EipCni.Tests.Support;
using Xunit.Abstractions;

namespace EipCni.Tests.Node;

/// <summary>The plugin's kubeconfig and its rotating TokenRequest token, against KubeSim with 1-second tokens and no leeway.</summary>
[Collection("kubesim-fast")]
public sealed class PluginIdentityTests : IAsyncLifetime
{
    private readonly KubeSimFastFixture _sim;
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new("pluginid");
    private readonly CancellationTokenSource _stop = new();
    private readonly RecordingLog _log = new();
    private KubeClient? _agent;
    private Task? _running;

    public PluginIdentityTests(KubeSimFastFixture sim, ITestOutputHelper output)
    {
        _sim = sim;
        _output = output;
    }

    private string KubeconfigPath => _dir.File("net.d/eip-cni.d/eip-cni.kubeconfig");
    private string TokenPath => _dir.File("net.d/eip-cni.d/eip-cni.token");

    public Task InitializeAsync() => _sim.ResetAsync();

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null) await _running;
        _agent?.Dispose();
        _dir.Dispose();
    }

    private PluginIdentity Start(TimeSpan lifetime)
    {
        var config = EipCni.Kube.Kubeconfig.Load(_sim.Kubeconfig);
        _agent = new KubeClient(config, NullLog.Instance, new KubeClientOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100), MaxAttempts = 2,
        });
        var identity = new PluginIdentity(_agent, config, new PluginIdentityOptions
        {
            KubeconfigPath = KubeconfigPath, TokenPath = TokenPath, TokenLifetime = lifetime,
            InitialRetry = TimeSpan.FromMilliseconds(100), MaxRetry = TimeSpan.FromMilliseconds(400),
        }, _log);
        _running = identity.RunAsync(_stop.Token);
        return identity;
    }

    [Fact]
    public async Task The_kubeconfig_names_the_server_CA_and_token_file_and_both_files_are_0600()
    {
        var identity = Start(TimeSpan.FromMinutes(10));
        Wait.Until(() => File.Exists(KubeconfigPath), TimeSpan.FromSeconds(10), "the kubeconfig");

        var config = EipCni.Kube.Kubeconfig.Load(KubeconfigPath);

        Assert.Equal(new Uri(_sim.Url), config.Server);
        Assert.Equal(TokenPath, config.TokenFile);
        Assert.Null(config.ClientCertificate);
        Assert.Single(config.CertificateAuthorities!);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KubeconfigPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(TokenPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(TokenPath)!));
        Assert.DoesNotContain(File.ReadAllText(TokenPath), File.ReadAllText(KubeconfigPath));
        Assert.InRange(identity.TokenExpiresAt!.Value, DateTimeOffset.UtcNow.AddMinutes(9), DateTimeOffset.UtcNow.AddMinutes(11));
        var sent = (await _sim.RequestsAsync("POST", "/api/v1/namespaces/kube-system/serviceaccounts/eip-cni-plugin/token")).Single();
        Assert.Contains("\"expirationSeconds\":600", sent["body"]!.ToString());
        Assert.DoesNotContain(File.ReadAllText(TokenPath), _log.ToString());
    }

    [Fact]
    public async Task The_token_rotates_at_80_percent_and_the_plugin_keeps_working_past_each_tokens_expiry()
    {
        await _sim.PutPodAsync("""{"metadata":{"name":"web-0","namespace":"team-a"},"spec":{"nodeName":"node-a"}}""");
        var identity = Start(TimeSpan.FromSeconds(3));
        Wait.Until(() => File.Exists(KubeconfigPath), TimeSpan.FromSeconds(10), "the kubeconfig");
        var firstToken = File.ReadAllText(TokenPath);
        using var plugin = new KubeClient(EipCni.Kube.Kubeconfig.Load(KubeconfigPath), NullLog.Instance,
            new KubeClientOptions { MaxAttempts = 1, RequestTimeout = TimeSpan.FromSeconds(5) });

        // The plugin's calls over 10 s: three to four token lifetimes. Every one must authenticate.
        var clock = Stopwatch.StartNew();
        var calls = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            var pod = await plugin.GetPodAsync("team-a", "web-0", CancellationToken.None);
            Assert.Equal("web-0", pod.Name);
            calls++;
            await Task.Delay(100);
        }
        using var withFirstToken = _sim.CreateHttpClient(firstToken);
        var old = await withFirstToken.GetAsync("/api/v1/namespaces/team-a/pods/web-0");

        var requests = await _sim.RequestsAsync("POST", "/serviceaccounts/eip-cni-plugin/token");
        var pluginCalls = (await _sim.RequestsAsync("GET", "/pods/web-0")).Where(r => r["user"]?.ToString() == "system:serviceaccount:kube-system:eip-cni-plugin").ToList();
        _output.WriteLine($"{calls} plugin calls over 10 s, {identity.TokensWritten} tokens (3 s lifetime, refreshed at 80 %)");
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode); // the first token has expired, the file moved on
        Assert.InRange(identity.TokensWritten, 3, 6);
        Assert.Equal(identity.TokensWritten, requests.Count);
        Assert.Equal(calls, pluginCalls.Count);
        Assert.All(pluginCalls, r => Assert.Equal(200, (int)r["status"]!));
        Assert.Single(_log.Lines, l => l.Message == "plugin kubeconfig written"); // unchanged kubeconfig is not rewritten
    }

    [Fact]
    public async Task While_TokenRequest_fails_the_old_token_is_kept_and_the_agent_retries_with_backoff()
    {
        Start(TimeSpan.FromSeconds(4));
        Wait.Until(() => File.Exists(KubeconfigPath), TimeSpan.FromSeconds(10), "the kubeconfig");
        var first = File.ReadAllText(TokenPath);
        await _sim.FaultAsync("""{"method":"POST","pathContains":"/token","status":503}""");

        // Past the refresh point (80 % of 4 to 5 s) and past the expiry: the file keeps the old token all along.
        Wait.Until(() => _log.Contains("the plugin has no valid token"), TimeSpan.FromSeconds(10), "a failure after the expiry");
        var during = File.ReadAllText(TokenPath);
        var failed = (await _sim.RequestsAsync("POST", "/token")).Count(r => (int)r["status"]! == 503);
        await _sim.ClearFaultsAsync();
        Wait.Until(() => File.ReadAllText(TokenPath) != first, TimeSpan.FromSeconds(5), "a new token after the outage");

        Assert.Equal(first, during);
        Assert.InRange(failed, 3, 40); // backoff from 0.1 s to 0.4 s (with the client's own two attempts each)
        Assert.True(_log.Contains("cannot refresh the plugin's token; the current one is still valid", LogLevel.Warn), _log.ToString());
        Assert.True(_log.Contains("the plugin has no valid token", LogLevel.Error), _log.ToString());
    }

    [Fact]
    public async Task With_least_privilege_rules_the_plugin_identity_can_do_only_what_the_plugin_does()
    {
        await _sim.PutPodAsync("""{"metadata":{"name":"web-0","namespace":"team-a"},"spec":{"nodeName":"node-a"}}""");
        await _sim.AdminAsync("POST", "/_sim/rbac", """
            {"serviceAccount":"kube-system/eip-cni-plugin","rules":[
              {"verbs":["get","patch"],"resources":["pods"],"apiGroups":[""]},
              {"verbs":["patch"],"resources":["pods/status"],"apiGroups":[""]},
              {"verbs":["create"],"resources":["events"],"apiGroups":[""]}]}
            """);
        Start(TimeSpan.FromMinutes(10));
        Wait.Until(() => File.Exists(KubeconfigPath), TimeSpan.FromSeconds(10), "the kubeconfig");
        using var plugin = new KubeClient(EipCni.Kube.Kubeconfig.Load(KubeconfigPath), NullLog.Instance, new KubeClientOptions { MaxAttempts = 1 });

        var pod = await plugin.GetPodAsync("team-a", "web-0", CancellationToken.None);
        var denied = await Assert.ThrowsAsync<KubeException>(() => plugin.GetConfigMapAsync("kube-system", "eni-config", CancellationToken.None));

        Assert.Equal("web-0", pod.Name);
        Assert.Equal(403, denied.StatusCode);
    }
}

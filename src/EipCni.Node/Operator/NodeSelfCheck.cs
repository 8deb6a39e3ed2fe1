using System.Buffers.Text;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.Eip;
using EipCni.Kube;

namespace EipCni.Node;

/// <summary>
/// <c>eip-cni-agent status</c>: every precondition ADD needs on this node, checked one by one — both binaries in place
/// and current, the eip-cni entry last in the active config, eni_conf, the cluster ID and state dir (what STATUS checks,
/// <see cref="EngineCore.RequirePreconditions"/>), the plugin's kubeconfig and token, a cloud credential, and the
/// endpoints reachable. Unlike STATUS it calls out (credentials, TCP connects), each within <see cref="Timeout"/>.
/// </summary>
public sealed class NodeSelfCheck
{
    public required string CniBinDir { get; init; }
    public required string CniConfDir { get; init; }

    /// <summary>Where the agent's own copies of the binaries are (the running agent's directory).</summary>
    public string SourceDir { get; init; } = InstallOptions.AgentDirectory();

    /// <summary>Budget of each call out: one credential, one region lookup, one TCP connect.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A token file not a JWT is stale once older than the lifetime the agent asks for.</summary>
    public TimeSpan TokenLifetime { get; init; } = new PluginIdentityOptions().TokenLifetime;

    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public async Task<IReadOnlyList<SelfCheck>> RunAsync(CancellationToken ct)
    {
        var checks = new List<SelfCheck>();
        var install = $"eip-cni-agent install --cni-bin-dir {CniBinDir} --cni-conf-dir {CniConfDir} (the DaemonSet's init container runs it)";
        foreach (var binary in ChainInstaller.Binaries) checks.Add(Binary(binary, install));

        NodeChain chain;
        try
        {
            chain = NodeChain.Read(CniConfDir);
            checks.Add(chain.IsLast
                ? SelfCheck.Pass("chain", $"eip-cni is the last of {chain.PluginCount} plugins in {chain.ActiveConfig}")
                : SelfCheck.Fail("chain", $"eip-cni is plugin {chain.Position} of {chain.PluginCount} in {chain.ActiveConfig}: it must run after the primary plugin", install));
        }
        catch (NodeChainException e)
        {
            checks.Add(SelfCheck.Fail("chain", e.Message, install));
            checks.Add(SelfCheck.Fail("config", "the remaining checks need the eip-cni entry (its eniConfPath, kubeconfig, stateDir, endpoints)", install));
            return checks;
        }
        var conf = chain.Conf;

        EniConf eniConf;
        try
        {
            eniConf = EniConf.Load(conf.EniConfPath, out var exists);
            checks.Add(!exists
                ? SelfCheck.Fail("eni_conf", $"{conf.EniConfPath} does not exist: the EIP feature is off and ADD passes every pod through",
                    "the agent copies eni_conf from kube-system/eni-config; check that the ConfigMap exists and the agent runs")
                : eniConf.EnableEipPool
                    ? SelfCheck.Pass("eni_conf", $"{conf.EniConfPath}: EIP feature on, allow_eip_rob {(eniConf.AllowEipRob ? "on" : "off")}")
                    : SelfCheck.Fail("eni_conf", $"{conf.EniConfPath}: enable_eip_pool is not true: ADD passes every pod through",
                        "set enable_eip_pool \"true\" in eni_conf of kube-system/eni-config"));
        }
        catch (CniException e)
        {
            eniConf = EniConf.Disabled;
            checks.Add(SelfCheck.Fail("eni_conf", Text(e), "fix eni_conf in kube-system/eni-config (README, Configuration)"));
        }

        try
        {
            checks.Add(AttachmentListing.ClusterId(conf, eniConf) is { } clusterId
                ? SelfCheck.Pass("cluster ID", $"{clusterId} (from {(conf.ClusterId is not null ? "the plugin config" : "eni_conf")})")
                : SelfCheck.Fail("cluster ID", "neither the plugin config (clusterId) nor eni_conf (cluster_id) names one", "set clusterId in conf/plugin-config.yaml, then apply it"));
        }
        catch (CniException e)
        {
            checks.Add(SelfCheck.Fail("cluster ID", Text(e), "set a valid clusterId in conf/plugin-config.yaml"));
        }

        checks.Add(StateDir(conf.StateDir));
        checks.AddRange(KubeconfigAndToken(conf.Kubeconfig));
        checks.AddRange(await CloudAsync(conf, eniConf, ct).ConfigureAwait(false));
        return checks;
    }

    private SelfCheck Binary(string binary, string install)
    {
        var target = Path.Combine(CniBinDir, binary);
        var source = Path.Combine(SourceDir, binary);
        if (!File.Exists(target)) return SelfCheck.Fail(binary, $"{target} does not exist", install);
        if (!File.Exists(source)) return SelfCheck.Fail(binary, $"cannot compare {target}: the agent's own copy {source} does not exist", "run the eip-cni-agent of the image, which carries both binaries");
        var (targetSize, targetHash) = Fingerprint(target);
        var (sourceSize, sourceHash) = Fingerprint(source);
        return targetSize == sourceSize && targetHash == sourceHash
            ? SelfCheck.Pass(binary, $"{target} is the agent's copy ({targetSize} bytes, sha256 {targetHash[..12]})")
            : SelfCheck.Fail(binary, $"{target} ({targetSize} bytes, sha256 {targetHash[..12]}) differs from the agent's {source} ({sourceSize} bytes, sha256 {sourceHash[..12]})", install);
    }

    private static (long Size, string Sha256) Fingerprint(string path)
    {
        using var file = File.OpenRead(path);
        return (file.Length, Convert.ToHexStringLower(SHA256.HashData(file)));
    }

    /// <summary>What STATUS checks of the state dir: ours, 0700, and writable.</summary>
    private static SelfCheck StateDir(string stateDir)
    {
        try
        {
            PrivateFiles.CreateOrVerify(stateDir);
            PrivateFiles.Probe(stateDir);
            return SelfCheck.Pass("state dir", $"{stateDir} is ours, private and writable");
        }
        catch (CniException e)
        {
            return SelfCheck.Fail("state dir", Text(e), $"check what is in {stateDir}, then chown it to root and chmod 0700 (README, Security)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return SelfCheck.Fail("state dir", $"{stateDir} is not writable: {e.Message}", $"make {stateDir} a directory root can write");
        }
    }

    private IEnumerable<SelfCheck> KubeconfigAndToken(string path)
    {
        const string fix = "the agent's run writes the plugin's kubeconfig and token; until then write them by hand (conf/README.md)";
        Kubeconfig kubeconfig;
        try
        {
            kubeconfig = Kubeconfig.Load(path);
        }
        catch (KubeconfigException e)
        {
            return [SelfCheck.Fail("kubeconfig", e.Message, fix), SelfCheck.Fail("token", "not checked: the kubeconfig is unusable", fix)];
        }
        var loaded = SelfCheck.Pass("kubeconfig", $"{path}: server {kubeconfig.Server}, context {kubeconfig.ContextName}");
        if (!kubeconfig.HasToken)
            return [loaded, kubeconfig.ClientCertificate is not null ? SelfCheck.Pass("token", "none: a client certificate authenticates") : SelfCheck.Fail("token", "the kubeconfig has no token, tokenFile or client certificate", fix)];
        string token;
        try
        {
            token = kubeconfig.ReadToken()!;
        }
        catch (KubeconfigException e)
        {
            return [loaded, SelfCheck.Fail("token", e.Message, fix)];
        }
        var now = Time.GetUtcNow();
        var where = kubeconfig.TokenFile ?? "the kubeconfig's token";
        if (JwtExpiry(token) is { } exp)
            return [loaded, exp > now
                ? SelfCheck.Pass("token", $"{where} expires in {TextTable.Age(exp - now)} ({exp:O})")
                : SelfCheck.Fail("token", $"{where} expired {TextTable.Age(now - exp)} ago ({exp:O})", fix)];
        if (kubeconfig.TokenFile is not { } file) return [loaded, SelfCheck.Pass("token", "a static token in the kubeconfig (not a JWT: no expiry known)")];
        var age = now - new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
        return [loaded, age <= TokenLifetime
            ? SelfCheck.Pass("token", $"{file} written {TextTable.Age(age)} ago (not a JWT: judged by its age)")
            : SelfCheck.Fail("token", $"{file} written {TextTable.Age(age)} ago, longer than a token lives ({TextTable.Age(TokenLifetime)})", fix)];
    }

    /// <summary>The <c>exp</c> claim of a JWT (three base64url parts), or null for anything else.</summary>
    internal static DateTimeOffset? JwtExpiry(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.ValueKind == JsonValueKind.Object && payload.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private async Task<IEnumerable<SelfCheck>> CloudAsync(NetConf conf, EniConf eniConf, CancellationToken ct)
    {
        CloudClients cloud;
        try
        {
            cloud = CloudClients.Create(EngineComposition.CloudOptionsFor(conf, eniConf), NullLog.Instance, Environment, Time);
        }
        catch (ArgumentException e)
        {
            return [SelfCheck.Fail("credentials", e.Message, "fix the plugin config's endpoints or eni_conf's access_key/access_secret")];
        }
        using (cloud)
        {
            var checks = new List<SelfCheck>();
            try
            {
                using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
                budget.CancelAfter(Timeout);
                var credential = await cloud.Credentials.GetAsync(budget.Token).ConfigureAwait(false);
                checks.Add(SelfCheck.Pass("credentials", $"from {credential.Source}" + (credential.Expiration is { } exp ? $", temporary until {exp:O}" : "")));
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or HttpRequestException or IOException)
            {
                checks.Add(SelfCheck.Fail("credentials", e is OperationCanceledException ? $"no credential within {Timeout.TotalSeconds:0} s" : e.Message,
                    "give the node's RAM role (or an RRSA role) the policy conf/ram-policy.json, or set access_key/access_secret in eni_conf"));
            }

            CloudEndpoints.Resolved endpoints;
            try
            {
                using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
                budget.CancelAfter(Timeout);
                endpoints = await cloud.Endpoints.GetAsync(budget.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CloudException or OperationCanceledException or HttpRequestException or IOException)
            {
                checks.Add(SelfCheck.Fail("region", $"unknown: the metadata service did not say ({(e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : e.Message)})",
                    "set regionId in the plugin config (or region_id in eni_conf)"));
                checks.Add(await ReachableAsync("endpoint metadata", conf.Endpoints.Metadata ?? new Uri("http://100.100.100.200"), ct).ConfigureAwait(false));
                return checks;
            }
            checks.Add(await ReachableAsync("endpoint vpc", endpoints.Vpc, ct).ConfigureAwait(false));
            checks.Add(await ReachableAsync("endpoint ecs", endpoints.Ecs, ct).ConfigureAwait(false));
            checks.Add(await ReachableAsync("endpoint metadata", conf.Endpoints.Metadata ?? new Uri("http://100.100.100.200"), ct).ConfigureAwait(false));
            return checks;
        }
    }

    private async Task<SelfCheck> ReachableAsync(string check, Uri endpoint, CancellationToken ct)
    {
        var port = endpoint.IsDefaultPort ? (endpoint.Scheme == "https" ? 443 : 80) : endpoint.Port;
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(Timeout);
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint.IdnHost, port, budget.Token).ConfigureAwait(false);
            return SelfCheck.Pass(check, $"{endpoint.IdnHost}:{port} accepts connections");
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return SelfCheck.Fail(check, $"{endpoint.IdnHost}:{port}: {(e is OperationCanceledException ? $"no connection within {Timeout.TotalSeconds:0} s" : e.Message)}",
                "the node must reach the region's VPC endpoints and 100.100.100.200 (security group, routes); or set endpoints in the plugin config");
        }
    }

    private static string Text(CniException e) => e.Message + (e.Details.Length > 0 ? $": {e.Details}" : "");
}

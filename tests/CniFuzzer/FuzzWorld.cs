using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace CniFuzzer;

/// <summary>How the EIP feature is set up for a case: off, on against the cloud simulator, or on against a closed port.</summary>
public enum Feature { Off, Sim, Unreachable }

/// <summary>
/// Everything the cases share: both simulators, an unreachable loopback port, the eni_conf and kubeconfig of each
/// feature, one state dir and log file per feature (so records made by one case are found by the DEL, CHECK and GC of
/// another), and the odd files paths are pointed at.
/// </summary>
public sealed class FuzzWorld : IDisposable
{
    public const string Region = "cn-hangzhou";
    public const string AskingPod = "fz-ask";
    public const string PlainPod = "fz-plain";
    public const string BadAnnotationPod = "fz-bad";

    private readonly TempDir _scratch = new("eipcni-fuzz");
    private readonly EipWorld _sims;
    private int _caseDirs;

    public FuzzWorld()
    {
        var seed = _scratch.File("cloud-seed.json");
        // A quota far above what a run allocates: a full quota would turn every later EIP ADD into the same error 101.
        File.WriteAllText(seed, """{"quota": 100000}""");
        _sims = EipWorld.WithCloudFlags("--seed", seed, "--associate-ms", "50", "--unassociate-ms", "50", "--release-ms", "50", "--throttle", "off");
        _sims.CreatePod(AskingPod, new Dictionary<string, string> { ["network.alibabacloud.com/pod-with-eip"] = "true" });
        _sims.CreatePod(PlainPod, new Dictionary<string, string> { ["app"] = "web" });
        _sims.CreatePod(BadAnnotationPod, new Dictionary<string, string> { ["network.alibabacloud.com/pod-with-eip"] = "true", ["network.alibabacloud.com/eip-bandwidth"] = "lots" });

        ClosedUrl = $"http://127.0.0.1:{ClosedPort()}";
        SimUrl = _sims.Cloud.Url;
        SimKubeconfig = _sims.Kube.Ready["kubeconfig"]!.GetValue<string>();
        var kubeText = File.ReadAllText(SimKubeconfig);
        var kubeServer = _sims.Kube.Url;
        var token = _sims.Kube.Ready["token"]!.GetValue<string>();
        UnreachableKubeconfig = Write("kube-unreachable", kubeText.Replace(kubeServer, ClosedUrl.Replace("http:", "https:")));

        EniConf = new Dictionary<Feature, string>
        {
            [Feature.Off] = Write("eni-off.json", """{"enable_eip_pool":"false"}"""),
            [Feature.Sim] = Write("eni-sim.json", EniConfText(true).ToJsonString()),
            [Feature.Unreachable] = Write("eni-unreachable.json", EniConfText(true).ToJsonString()),
        };
        StateDir = Enum.GetValues<Feature>().ToDictionary(f => f, f => _scratch.File("state-" + f.ToString().ToLowerInvariant()));
        LogFile = Enum.GetValues<Feature>().ToDictionary(f => f, f => _scratch.File("eip-cni-" + f.ToString().ToLowerInvariant() + ".log"));

        // Odd things a path may point at (each case that wants a FIFO makes its own).
        OddDir = Directory.CreateDirectory(_scratch.File("odd-dir")).FullName;
        OddFile = Write("odd-file", "a regular file where a directory or a config is expected\n");
        OddSymlink = _scratch.File("odd-symlink");
        File.CreateSymbolicLink(OddSymlink, OddFile);
        Missing = _scratch.File("missing/nothing-here");

        // Kubeconfigs with hostile tokens: CR/LF inside the token (header injection), CRLF line endings, a token file with CRLF.
        KubeconfigCrlfToken = Write("kube-crlf-token", kubeText.Replace($"token: {token}", $"token: \"{token}\\r\\nX-Injected: yes\""));
        KubeconfigCrlfLines = Write("kube-crlf-lines", kubeText.ReplaceLineEndings("\r\n"));
        var tokenFile = Write("token-crlf", token + "\r\nX-Injected: yes\r\n");
        KubeconfigCrlfTokenFile = Write("kube-crlf-token-file", kubeText.Replace($"token: {token}", $"tokenFile: {tokenFile}"));
        KubeconfigUnicodeToken = Write("kube-unicode-token", kubeText.Replace($"token: {token}", "token: \"t\u00f6k\u00e9n-\u4e2d\""));
        KubeconfigGarbage = Write("kube-garbage", "apiVersion: v1\nclusters: [ {\n\t- : :\n");
        KubeconfigEmpty = Write("kube-empty", "");
    }

    public string SimUrl { get; }
    public string ClosedUrl { get; }
    public string SimKubeconfig { get; }
    public string UnreachableKubeconfig { get; }
    public IReadOnlyDictionary<Feature, string> EniConf { get; }
    public IReadOnlyDictionary<Feature, string> StateDir { get; }
    public IReadOnlyDictionary<Feature, string> LogFile { get; }
    public string OddDir { get; }
    public string OddFile { get; }
    public string OddSymlink { get; }
    public string Missing { get; }
    public string KubeconfigCrlfToken { get; }
    public string KubeconfigCrlfLines { get; }
    public string KubeconfigCrlfTokenFile { get; }
    public string KubeconfigUnicodeToken { get; }
    public string KubeconfigGarbage { get; }
    public string KubeconfigEmpty { get; }
    public string Root => _scratch.Path;

    public string Endpoint(Feature f) => f == Feature.Unreachable ? ClosedUrl : SimUrl;

    public string Kubeconfig(Feature f) => f == Feature.Unreachable ? UnreachableKubeconfig : SimKubeconfig;

    /// <summary>eni_conf with the feature on and the simulator's static AccessKey.</summary>
    public JsonObject EniConfText(bool enabled) => new()
    {
        ["enable_eip_pool"] = enabled ? "true" : "false",
        ["allow_eip_rob"] = false,
        ["access_key"] = _sims.AccessKeyId,
        ["access_secret"] = _sims.AccessKeySecret,
        ["region_id"] = Region,
    };

    /// <summary>The pod IPs the simulated ENI owns (so an ADD with an EIP can succeed).</summary>
    public static string PodIp(Random rnd) => $"10.250.0.{rnd.Next(2, 41)}";

    /// <summary>A fresh directory for one case's own files.</summary>
    public string NewCaseDir() => _scratch.File($"case-{Interlocked.Increment(ref _caseDirs)}");

    private string Write(string name, string text)
    {
        var path = _scratch.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private static int ClosedPort()
    {
        // Bound and released: connections to it are refused at once.
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        _sims.Dispose();
        _scratch.Dispose();
    }
}

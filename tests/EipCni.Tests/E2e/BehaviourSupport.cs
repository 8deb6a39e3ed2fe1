using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.E2e;

/// <summary>
/// What the behaviour tests read back: the CNI error of a failed call (code from the plugin's own result line in its
/// log, msg and details as libcni printed them), pod events by reason, and a second network namespace for a second
/// sandbox on the same chain.
/// </summary>
internal static class BehaviourSupport
{
    /// <summary>The CNI error the plugin returned: libcni prints "msg; details" on stderr, the code is in eip-cni's result log line.</summary>
    public sealed record CniFailure(int Code, string Msg, string Details, string Stderr)
    {
        public string Text => $"code {Code}: {Msg}; {Details} | {Stderr}";
    }

    public static CniFailure Failure(CniChain chain, ProcessResult result)
    {
        Assert.True(result.ExitCode != 0, "expected the call to fail, it succeeded: " + result.Stdout);
        var line = chain.LogLines().Select(l => JsonNode.Parse(l)!).LastOrDefault(l => l["msg"]?.GetValue<string>() == "failed")
            ?? throw new Xunit.Sdk.XunitException("no \"failed\" line in eip-cni's log; stderr: " + result.Stderr + "\n" + string.Join("\n", chain.LogLines()));
        return new CniFailure(line["code"]!.GetValue<int>(), line["error"]?.GetValue<string>() ?? "", line["details"]?.GetValue<string>() ?? "", result.Stderr);
    }

    public static void Succeeded(CniChain chain, ProcessResult result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}{result.Stdout}\n{string.Join("\n", chain.LogLines().TakeLast(15))}");

    /// <summary>The pod IPv4 that ADD returned (an ENI IP of the sim world, from host-local's range).</summary>
    public static string PodIp(ProcessResult add) =>
        JsonNode.Parse(add.Stdout)!["ips"]![0]!["address"]!.GetValue<string>().Split('/')[0];

    public static string Caps(IDictionary<string, string> annotations) =>
        CniChain.PodAnnotations(annotations.Select(kv => (kv.Key, kv.Value)).ToArray());

    public static JsonNode[] Events(EipWorld world, string pod, string? reason = null) =>
        world.KubeEvents().Where(e => e!["involvedObject"]?["name"]?.GetValue<string>() == pod
            && (reason is null || e["reason"]?.GetValue<string>() == reason)).Select(e => e!).ToArray();

    public static string[] Actions(IEnumerable<JsonNode> requests) => requests.Select(r => r["action"]!.GetValue<string>()).ToArray();

    public static string Str(JsonNode node, string name) => node[name]?.GetValue<string>() ?? "";

    public static string Tag(JsonNode eip, string key) => eip["tags"]?[key]?.GetValue<string>() ?? "";

    public static string? Annotation(JsonObject pod, string key) => pod["metadata"]?["annotations"]?[key]?.GetValue<string>();

    /// <summary>Every kube request made by the plugin, as "METHOD path".</summary>
    public static string[] KubeCalls(EipWorld world) =>
        world.KubeRequests().Select(r => $"{r!["method"]!.GetValue<string>()} {r["path"]!.GetValue<string>()}").ToArray();

    /// <summary>Waits (bounded) until the simulator shows what a test expects after an asynchronous transition.</summary>
    public static void Eventually(Func<bool> condition, string what, int timeoutMs = 10_000) =>
        Wait.Until(condition, TimeSpan.FromMilliseconds(timeoutMs), what);
}

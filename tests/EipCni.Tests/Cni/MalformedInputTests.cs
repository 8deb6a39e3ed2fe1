using System.Text;
using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Cni;

/// <summary>
/// Hundreds of malformed calls against the published binary: each must get one CNI error JSON with the right code,
/// a message naming what is wrong, a non-zero exit, and no crash or stack trace.
/// </summary>
public class MalformedInputTests
{
    /// <summary>One malformed call: env changes, stdin, expected code and words the message must contain.</summary>
    public sealed record Case(string Name, string Command, Func<PluginWorld, byte[]> Stdin, int Code, string[] Says,
        Dictionary<string, string?>? EnvChanges = null, string? EniConf = null)
    {
        public override string ToString() => Name;
    }

    private static Func<PluginWorld, byte[]> Conf(Action<JsonObject> edit, string version = "1.0.0", string? prev = "prev-1.0.0.json") => w =>
    {
        var c = w.Config(version, prev);
        edit(c);
        return Encoding.UTF8.GetBytes(c.ToJsonString());
    };

    private static Func<PluginWorld, byte[]> Raw(string s) => _ => Encoding.UTF8.GetBytes(s);

    private static readonly Func<PluginWorld, byte[]> Valid = Conf(_ => { });

    public static IEnumerable<object[]> Cases() => All().Select(c => new object[] { c });

    public static IEnumerable<Case> All()
    {
        // Missing env variables: every subset, reported at once.
        foreach (var (verb, vars) in new[] { ("ADD", new[] { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME" }), ("CHECK", new[] { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME" }), ("DEL", new[] { "CNI_CONTAINERID", "CNI_IFNAME" }) })
        {
            for (var mask = 1; mask < 1 << vars.Length; mask++)
            {
                var gone = vars.Where((_, i) => (mask & (1 << i)) != 0).ToArray();
                foreach (var how in new[] { "unset", "empty" })
                {
                    var env = gone.ToDictionary(v => v, v => how == "unset" ? null : (string?)"");
                    yield return new($"{verb} without {string.Join("+", gone)} ({how})", verb, Valid, 4, ["[" + string.Join(",", gone) + "]", "missing"], env);
                }
            }
        }
        // The env is wrong and stdin names a logFile that is no text (a lone surrogate): still the env error (fuzz seed 1, #6602).
        yield return new("ADD without CNI_NETNS, logFile with a lone surrogate", "ADD",
            w => [.. "{\"logFile\":\"/tmp/\\udc00\\ud800\","u8, .. Valid(w).AsSpan(1)], 4, ["CNI_NETNS"], new() { ["CNI_NETNS"] = "" });
        foreach (var cmd in new[] { "add", "Add", "FOO", " ADD", "ADD ", "ADD\n", "DELETE", "ADD;DEL", "version" })
            yield return new($"unknown command {cmd.Trim()}|{cmd.Length}", cmd, Valid, 4, ["unknown CNI_COMMAND"]);
        foreach (var id in new[] { "-abc", ".abc", "_abc", "a/b", "../etc", "a b", "a;b", "ab\u00e4", "a\tb", "a:b", "a*b", "a\\b", new string('x', 1025) })
            yield return new($"ADD with container id {id[..Math.Min(id.Length, 12)]}|{id.Length}", "ADD", Valid, 4, ["CNI_CONTAINERID"], new() { ["CNI_CONTAINERID"] = id });
        foreach (var id in new[] { "-x", "a/b" })
            yield return new($"DEL with container id {id}", "DEL", Valid, 4, ["CNI_CONTAINERID"], new() { ["CNI_CONTAINERID"] = id });
        foreach (var ifn in new[] { "eth0123456789abc", ".", "..", "eth/0", "eth:0", "eth 0", "eth\t0", "a\u0001b", new string('e', 40) })
        {
            yield return new($"ADD with ifname {ifn[..Math.Min(ifn.Length, 10)]}|{ifn.Length}", "ADD", Valid, 4, ["CNI_IFNAME"], new() { ["CNI_IFNAME"] = ifn });
            yield return new($"CHECK with ifname {ifn[..Math.Min(ifn.Length, 10)]}|{ifn.Length}", "CHECK", Valid, 4, ["CNI_IFNAME"], new() { ["CNI_IFNAME"] = ifn });
        }

        // Stdin that is not a network configuration.
        foreach (var verb in new[] { "ADD", "DEL", "CHECK" })
        {
            yield return new($"{verb} empty stdin", verb, Raw(""), 6, ["empty"]);
            yield return new($"{verb} whitespace stdin", verb, Raw("  \n\t "), 6, ["JSON"]);
            yield return new($"{verb} array", verb, Raw("[1,2]"), 6, ["object"]);
            yield return new($"{verb} string", verb, Raw("\"x\""), 6, ["object"]);
            yield return new($"{verb} null", verb, Raw("null"), 6, ["object"]);
            yield return new($"{verb} number", verb, Raw("42"), 6, ["object"]);
            yield return new($"{verb} two documents", verb, _ => Encoding.UTF8.GetBytes("{} {}"), 6, ["JSON"]);
        }
        yield return new("VERSION with garbage", "VERSION", Raw("{nope"), 6, ["JSON"]);
        yield return new("VERSION with numeric version", "VERSION", Raw("{\"cniVersion\":1}"), 6, ["cniVersion"]);
        var full = Encoding.UTF8.GetString(Valid(new PluginWorld()));
        for (var cut = 1; cut < full.Length; cut += Math.Max(1, full.Length / 40))
        {
            var prefix = full[..cut];
            yield return new($"ADD truncated at {cut}", "ADD", Raw(prefix), 6, ["JSON"]);
        }
        yield return new("ADD invalid UTF-8 in a name", "ADD", _ => [(byte)'{', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)':', (byte)'1', (byte)'}'], 6, ["UTF-8"]);
        yield return new("ADD invalid UTF-8 in a value", "ADD", w => [.. Encoding.UTF8.GetBytes("{\"cniVersion\":\""), 0xc3, 0x28, .. Encoding.UTF8.GetBytes("\"}")], 6, ["UTF-8"]);
        yield return new("ADD deep nesting", "ADD", Raw(new string('[', 5000) + new string(']', 5000)), 6, ["JSON"]);
        yield return new("ADD 10 MB of garbage", "ADD", _ => Enumerable.Repeat((byte)'x', 10 * 1024 * 1024).ToArray(), 6, ["too large"]);
        yield return new("ADD 10 MB padded config", "ADD", w => Encoding.UTF8.GetBytes(new string(' ', 10 * 1024 * 1024) + Encoding.UTF8.GetString(Valid(w))), 6, ["too large"]);
        yield return new("ADD NUL bytes", "ADD", _ => new byte[4096], 6, ["JSON"]);
        yield return new("ADD trailing garbage", "ADD", w => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Valid(w)) + "garbage"), 6, ["JSON"]);

        // Versions.
        foreach (var verb in new[] { "ADD", "DEL", "CHECK", "GC", "STATUS" })
        {
            yield return new($"{verb} without cniVersion", verb, Conf(c => c.Remove("cniVersion")), 1, ["0.1.0", "incompatible"]);
            foreach (var v in new[] { "0.1.0", "0.2.0", "2.0.0", "1.0", "abc", "", "1.2.0", "0.3.2" })
                yield return new($"{verb} version '{v}'", verb, Conf(c => c["cniVersion"] = v), 1, ["incompatible", "1.1.0"]);
            yield return new($"{verb} numeric version", verb, Conf(c => c["cniVersion"] = 1.0), 6, ["cniVersion"]);
            yield return new($"{verb} object version", verb, Conf(c => c["cniVersion"] = new JsonObject()), 6, ["cniVersion"]);
        }
        foreach (var v in new[] { "0.3.0", "0.3.1" })
            yield return new($"CHECK on {v}", "CHECK", Conf(c => c["cniVersion"] = v), 1, ["CHECK", "0.4.0"]);
        foreach (var v in new[] { "0.3.1", "0.4.0", "1.0.0" })
        {
            yield return new($"GC on {v}", "GC", Conf(c => c["cniVersion"] = v), 1, ["GC", "1.1.0"]);
            yield return new($"STATUS on {v}", "STATUS", Conf(c => c["cniVersion"] = v), 1, ["STATUS", "1.1.0"]);
        }

        // Plugin config keys: wrong types and values name the key.
        var badValues = new (string Key, JsonNode? Value)[]
        {
            ("name", 5), ("name", ""), ("name", "a/b"), ("name", "-net"), ("name", new JsonArray()),
            ("clusterId", 5), ("clusterId", "c 1"), ("clusterId", "c/1"), ("clusterId", new string('c', 65)), ("clusterId", true),
            ("eniConfPath", 5), ("eniConfPath", "relative/eni.json"), ("eniConfPath", ""),
            ("kubeconfig", 1), ("kubeconfig", "kubeconfig"), ("stateDir", false), ("stateDir", "state"), ("logFile", new JsonObject()), ("logFile", "x.log"),
            ("logLevel", "verbose"), ("logLevel", 1), ("logLevel", "INFO"),
            ("regionId", "CN_HZ"), ("regionId", 5), ("regionId", "cn hangzhou"),
            ("endpoints", "vpc"), ("endpoints", new JsonArray()),
            ("addTimeoutSeconds", "90"), ("addTimeoutSeconds", 0), ("addTimeoutSeconds", -1), ("addTimeoutSeconds", 1.5), ("addTimeoutSeconds", 10000), ("addTimeoutSeconds", true),
            ("delTimeoutSeconds", "30"), ("delTimeoutSeconds", 0), ("delTimeoutSeconds", 1e9),
            ("maxConcurrentCloudCalls", 0), ("maxConcurrentCloudCalls", 100), ("maxConcurrentCloudCalls", "4"),
            ("statefulWorkloadKinds", "StatefulSet"), ("statefulWorkloadKinds", new JsonArray(1)), ("statefulWorkloadKinds", new JsonArray("")),
            ("runtimeConfig", "x"), ("runtimeConfig", new JsonArray()),
            ("prevResult", "x"), ("prevResult", new JsonArray()), ("prevResult", 5),
        };
        foreach (var (key, value) in badValues)
        {
            var v = value?.DeepClone();
            yield return new($"ADD {key}={value?.ToJsonString()}", "ADD", Conf(c => c[key] = v?.DeepClone()), 7, [key]);
        }
        foreach (var (key, value) in badValues.Where(b => b.Key != "prevResult"))
            yield return new($"CHECK {key}={value?.ToJsonString()}", "CHECK", Conf(c => c[key] = value?.DeepClone()), 7, [key]);
        foreach (var (sub, value) in new (string, JsonNode)[] { ("vpc", "ftp://vpc.example.com"), ("vpc", "http://vpc.cn-hangzhou.aliyuncs.com"), ("ecs", 5), ("sts", "not a url"), ("metadata", "http://169.254.169.254"), ("vpc", "https://"),
            // Checked once, at parse, by the rule the cloud client applies: the metadata address is plain-http only as the metadata endpoint, and a path is never part of an endpoint.
            ("vpc", "http://100.100.100.200"), ("vpc", "https://vpc.example.com/api"), ("sts", "https://sts.example.com/?x=1"), ("ecs", "https://user@ecs.example.com") })
            yield return new($"ADD endpoints.{sub}={value.ToJsonString()}", "ADD", Conf(c => c["endpoints"] = new JsonObject { [sub] = value.DeepClone() }), 7, ["endpoints." + sub]);
        // Escaped lone surrogates are JSON but not text: one clean decoding error, never 999 (or half a result on stdout).
        yield return new("ADD name with a lone surrogate", "ADD", Raw("""{"cniVersion":"1.0.0","name":"net\udfff","prevResult":{"ips":[]}}"""), 6, ["lone surrogate"]);
        yield return new("STATUS name with a lone surrogate", "STATUS", Raw("""{"cniVersion":"1.1.0","name":"\ud800"}"""), 6, ["lone surrogate"]);
        yield return new("ADD prevResult key with a lone surrogate", "ADD", Raw("""{"cniVersion":"1.0.0","name":"net","prevResult":{"ips":[{"address":"10.250.0.5/24"}],"x-note\udc00":1}}"""), 6, ["key"]);
        yield return new("ADD prevResult value with a lone surrogate", "ADD", Raw("""{"cniVersion":"1.0.0","name":"net","prevResult":{"ips":[{"address":"10.250.0.5/24"}],"x-note":"\udfff"}}"""), 6, ["lone surrogate"]);
        yield return new("STATUS with a plain-http cloud endpoint is not ready", "STATUS",
            Conf(c => { c["cniVersion"] = "1.1.0"; c["endpoints"] = new JsonObject { ["vpc"] = "http://100.100.100.200" }; }), 7, ["endpoints.vpc"]);
        foreach (var value in new JsonNode[] { new JsonArray(), "x", 5 })
            yield return new($"ADD pod-annotations={value.ToJsonString()}", "ADD", Conf(c => c["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = value.DeepClone() }), 7, ["io.kubernetes.cri.pod-annotations"]);
        yield return new("ADD annotation value not a string", "ADD", Conf(c => c["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["k8s.aliyun.com/pod-with-eip"] = true } }), 7, ["k8s.aliyun.com/pod-with-eip"]);
        yield return new("ADD without prevResult", "ADD", Conf(_ => { }, prev: null), 7, ["prevResult"]);
        yield return new("CHECK without prevResult", "CHECK", Conf(_ => { }, prev: null), 7, ["prevResult"]);

        // prevResult shapes.
        var badPrev = new (string Field, JsonNode Value)[]
        {
            ("ips", "10.0.0.1/24"), ("ips", new JsonArray(5)), ("ips", new JsonArray(new JsonObject { ["address"] = 5 })),
            ("ips", new JsonArray(new JsonObject { ["address"] = "nonsense" })), ("ips", new JsonArray(new JsonObject { ["address"] = "10.0.0.1" })),
            ("ips", new JsonArray(new JsonObject { ["address"] = "10.0.0.1/24", ["interface"] = "0" })),
            ("ips", new JsonArray(new JsonObject { ["address"] = "10.0.0.1/24", ["interface"] = 1.5 })),
            ("ips", new JsonArray(new JsonObject())), ("ips", new JsonArray(new JsonObject { ["address"] = "300.1.1.1/24" })),
            ("interfaces", "eth0"), ("interfaces", new JsonArray(5)), ("interfaces", new JsonArray(new JsonObject { ["name"] = 5 })),
        };
        foreach (var (field, value) in badPrev)
        {
            yield return new($"ADD prevResult.{field}={value.ToJsonString()}", "ADD", Conf(c => c["prevResult"]![field] = value.DeepClone()), 7, ["prevResult." + field]);
            yield return new($"CHECK prevResult.{field}={value.ToJsonString()}", "CHECK", Conf(c => c["prevResult"]![field] = value.DeepClone()), 7, ["prevResult." + field]);
        }

        // Every prevResult entry is validated, not only those up to the pod's IP: the verdict cannot depend on the order,
        // and the message names the exact field. Addresses are read as Go reads them (no octal from leading zeros).
        JsonObject Ip(string address, JsonNode? index = null, string? gateway = null)
        {
            var ip = new JsonObject { ["address"] = address, ["interface"] = index ?? 1 };
            if (gateway is not null) ip["gateway"] = gateway;
            return ip;
        }
        foreach (var (ips, path) in new (JsonArray, string)[]
        {
            (new JsonArray(Ip("10.250.0.7/24"), Ip("10.250.0.8/24", "x")), "prevResult.ips[1].interface"),
            (new JsonArray(Ip("10.250.0.8/24", "x"), Ip("10.250.0.7/24")), "prevResult.ips[0].interface"),
            (new JsonArray(Ip("10.250.0.7/24"), Ip("10.250.0.8/24", 2)), "prevResult.ips[1].interface"),
            (new JsonArray(Ip("10.250.0.014/24")), "prevResult.ips[0].address"),
            (new JsonArray(Ip("10.250.0.7/24"), Ip("10.250.0.08/24", 0)), "prevResult.ips[1].address"),
            (new JsonArray(Ip("10.250.0.7/24", gateway: "10.250.0.01")), "prevResult.ips[0].gateway"),
        })
        {
            yield return new($"ADD prevResult.ips={ips.ToJsonString()}", "ADD", Conf(c => c["prevResult"]!["ips"] = ips.DeepClone()), 7, [$"\"{path}\""]);
            yield return new($"CHECK prevResult.ips={ips.ToJsonString()}", "CHECK", Conf(c => c["prevResult"]!["ips"] = ips.DeepClone()), 7, [$"\"{path}\""]);
        }

        // eni_conf.
        foreach (var (json, says) in new (string, string[])[]
        {
            ("""{"enable_eip_pool":"yes"}""", ["enable_eip_pool", "yes"]), ("""{"enable_eip_pool":1}""", ["enable_eip_pool", "1"]),
            ("""{"enable_eip_pool":"True"}""", ["enable_eip_pool", "True"]), ("""{"enable_eip_pool":""}""", ["enable_eip_pool"]),
            ("""{"enable_eip_pool":["true"]}""", ["enable_eip_pool"]), ("""{"allow_eip_rob":"on"}""", ["allow_eip_rob", "on"]),
            ("""{"allow_eip_rob":0}""", ["allow_eip_rob"]), ("""{"enable_eip_pool":"true","allow_eip_rob":"TRUE"}""", ["allow_eip_rob", "TRUE"]),
            ("""{"region_id":5}""", ["region_id"]), ("""{"cluster_id":{}}""", ["cluster_id"]), ("""{"access_key":5}""", ["access_key"]),
            ("not json", ["eni_conf", "JSON"]), ("[]", ["eni_conf", "object"]), ("", ["eni_conf", "JSON"]), ("{\"enable_eip_pool\":", ["eni_conf"]),
        })
        {
            // DEL reads eni_conf only when a record gives it work (HostileNodeTests: a DEL without one always succeeds).
            yield return new($"ADD eni_conf {json}", "ADD", Valid, 7, says, EniConf: json);
            yield return new($"CHECK eni_conf {json}", "CHECK", Valid, 7, says, EniConf: json);
        }
        yield return new("ADD eni_conf is a directory", "ADD", Conf(c => c["eniConfPath"] = "/"), 7, ["eni_conf", "is a directory"]);

        // GC lists.
        foreach (var (key, value) in new (string, JsonNode)[]
        {
            ("cni.dev/valid-attachments", "all"), ("cni.dev/valid-attachments", new JsonArray(5)), ("cni.dev/valid-attachments", new JsonArray(new JsonObject())),
            ("cni.dev/valid-attachments", new JsonArray(new JsonObject { ["containerID"] = "x" })), ("cni.dev/attachments", new JsonObject()),
            ("cni.dev/attachments", new JsonArray(new JsonObject { ["containerID"] = 5, ["ifname"] = "eth0" })),
        })
            yield return new($"GC {key}={value.ToJsonString()}", "GC", Conf(c => c[key] = value.DeepClone(), "1.1.0", null), 7, [key]);
    }

    [Fact]
    public void There_are_at_least_200_cases() => Assert.True(All().Count() >= 200, $"only {All().Count()} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_input_gets_one_clear_error(Case c)
    {
        using var world = new PluginWorld();
        if (c.EniConf is not null) world.WithEniConf(c.EniConf);
        var env = c.Command == "VERSION" ? new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" } : NativePlugin.Env(c.Command);
        env["CNI_COMMAND"] = c.Command;
        if (c.Command is "GC" or "STATUS") { env.Remove("CNI_CONTAINERID"); env.Remove("CNI_NETNS"); env.Remove("CNI_IFNAME"); }
        foreach (var (k, v) in c.EnvChanges ?? [])
        {
            if (v is null) env.Remove(k);
            else env[k] = v;
        }
        var r = NativePlugin.Invoke(env, c.Stdin(world));
        NativePlugin.AssertError(r, c.Code, c.Says);
    }
}

using System.Text;
using System.Text.Json.Nodes;

namespace CniFuzzer;

/// <summary>One kind of hostile change; <see cref="Apply"/> edits the draft and returns what it did, for the reproducer.</summary>
public sealed record Mutation(string Name, int Weight, Func<CaseDraft, Random, string> Apply);

public static partial class CaseGenerator
{
    private static readonly string[] PerAttachmentVars = ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"];
    private static readonly string[] PathKeys = ["eniConfPath", "kubeconfig", "stateDir", "logFile"];
    private static readonly string[] KnownKeys =
    [
        "cniVersion", "name", "type", "clusterId", "eniConfPath", "kubeconfig", "stateDir", "logFile", "logLevel", "regionId", "endpoints",
        "addTimeoutSeconds", "delTimeoutSeconds", "maxConcurrentCloudCalls", "statefulWorkloadKinds", "capabilities", "runtimeConfig",
        "prevResult", "cni.dev/valid-attachments", "cni.dev/attachments",
    ];

    /// <summary>Values of the wrong type (or out of any range) for a key; raw ones are spliced in after serialization.</summary>
    private static readonly (string Label, Func<CaseDraft, JsonNode?> Make)[] OddValues =
    [
        ("5", _ => 5), ("-1", _ => -1), ("0", _ => 0), ("1.5", _ => 1.5), ("true", _ => true), ("false", _ => false),
        ("\"\"", _ => ""), ("\"text\"", _ => "text"), ("[]", _ => new JsonArray()), ("[1,\"a\"]", _ => new JsonArray(1, "a")),
        ("{}", _ => new JsonObject()), ("{\"a\":1}", _ => new JsonObject { ["a"] = 1 }), ("null", _ => null),
        ("1e999", d => d.RawValue("1e999")), ("-0", d => d.RawValue("-0")), ("123456789012345678901234567890", d => d.RawValue("123456789012345678901234567890")),
        ("1E2", d => d.RawValue("1E2")), ("-2147483649", d => d.RawValue("-2147483649")), ("2147483648", d => d.RawValue("2147483648")),
        ("\"\\udfff\"", d => d.RawValue("\"\\udfff\"")),
    ];

    /// <summary>Lone and reversed surrogates, NUL and other escapes that are valid JSON but not valid text.</summary>
    private static readonly string[] HostileEscapes =
    [
        "\"\\udfff\"", "\"a\\ud800\"", "\"\\udc00\\ud800\"", "\"\\ud800\\u0041\"", "\"x\\u0000y\"", "\"\\ud83d\"", "\"\\uffff\"", "\"\\ufeff\"",
    ];

    public static readonly Mutation[] Mutations =
    [
        // ------------------------------------------------------------------------------------------- environment
        new("env-missing", 4, (d, r) =>
        {
            var v = Pick(r, "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH");
            var empty = r.Next(2) == 0;
            d.Env[v] = empty ? "" : null;
            return $"{v} {(empty ? "empty" : "unset")}";
        }),
        new("env-command", 3, (d, r) =>
        {
            var c = r.Next(3) == 0
                ? Pick(r, "ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION")
                : Pick(r, "add", "Add", "FOO", " ADD", "ADD ", "ADD\n", "DELETE", "ADD;DEL", "version", "CHECK\r", "\u00c4DD", "GC\t", "STATUS\r\n");
            d.Command = c;
            d.Env["CNI_COMMAND"] = c;
            return $"CNI_COMMAND={Show(c)}";
        }),
        new("cid-long", 5, (d, r) =>
        {
            var len = Weighted(r, (r.Next(238, 1025), 6), (255, 1), (256, 1), (1024, 1), (r.Next(1025, 4097), 1));
            var id = LongName(r, len);
            SetContainerId(d, id);
            return $"CNI_CONTAINERID of {len} characters";
        }),
        new("cid-hostile", 4, (d, r) =>
        {
            var id = Pick(r, "..", ".", "../../etc/passwd", "a/b", "fz/../fz-01", "fz-01\r\n", "fz\n01", "\u5bb9\u5668-1", "fz 01", "-fz", ".fz", "_fz",
                "fz\t01", "fz;01", "fz\\01", "fz:01", "fz*", "\u202efz", "fz\u00a0", "fz-\ud83d\ude00", "fz%2F01", "fz@eth0", "~fz", "fz-01.json", ".lock");
            SetContainerId(d, id);
            return $"CNI_CONTAINERID={Show(id)}";
        }),
        new("cid-raw-bytes", 1, (d, r) =>
        {
            byte[] tail = Pick(r, new byte[] { 0xff, 0xfe }, new byte[] { 0xc0, 0xaf }, new byte[] { 0xed, 0xa0, 0x80 }, new byte[] { 0xe2, 0x82 });
            d.Env["CNI_CONTAINERID"] = null;
            d.RawEnv["CNI_CONTAINERID"] = [.. "fz-"u8, .. tail];
            return $"CNI_CONTAINERID=fz- followed by bytes {Convert.ToHexString(tail)} (not UTF-8)";
        }),
        new("ifname-hostile", 3, (d, r) =>
        {
            var n = Pick(r, "eth0123456789abc", "eth012345678901", ".", "..", "eth/0", "eth:0", "eth 0", "eth\r\n0", "\u00e9th0", "eth0\u0085",
                "\u4e2d\u6587", new string('e', 40), "eth0\t", "lo", "eth0.100", "-eth0");
            d.Env["CNI_IFNAME"] = n;
            return $"CNI_IFNAME={Show(n)}";
        }),
        new("netns-hostile", 2, (d, r) =>
        {
            var n = Pick(r, "", "relative/ns", "/proc/self/ns/net", "/nonexistent/ns", "/" + new string('n', 5000), "/var/run/netns/x\r\ny",
                "/var/run/netns/\u7f51", "/dev/null");
            d.Env["CNI_NETNS"] = n;
            return $"CNI_NETNS={Show(n)}";
        }),
        new("args-hostile", 4, (d, r) =>
        {
            var a = Pick(r, "", ";;;", "=x;=y", "K8S_POD_NAME", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=fz-ask;K8S_POD_NAME=fz-plain",
                "K8S_POD_NAMESPACE=../../etc;K8S_POD_NAME=..", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + new string('a', 10000),
                "K8S_POD_NAMESPACE=default;K8S_POD_NAME=fz-ask\r\nX-Injected: yes", "K8S_POD_NAMESPACE=kube system;K8S_POD_NAME=fz ask",
                "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p\u00f6d", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=fz-missing",
                string.Concat(Enumerable.Repeat("a=b;", 25000)), "K8S_POD_NAMESPACE=default;K8S_POD_NAME=fz-bad",
                "K8S_POD_NAMESPACE=default;K8S_POD_NAME=fz-ask;K8S_POD_UID=" + new string('u', 3000), "K8S_POD_NAMESPACE= ;K8S_POD_NAME= ",
                "K8S_POD_NAMESPACE=default;K8S_POD_NAME=fz-ask?x=1#y", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=%2e%2e");
            d.Env["CNI_ARGS"] = a;
            return $"CNI_ARGS={Show(a)}";
        }),

        // ------------------------------------------------------------------------------------------- network config keys
        new("key-remove", 4, (d, r) =>
        {
            // stateDir and logFile are never removed: their defaults are this machine's real directories.
            var key = Pick(r, KnownKeys.Except(["stateDir", "logFile"]).ToArray());
            d.Conf.Remove(key);
            return $"no \"{key}\"";
        }),
        new("key-type", 8, (d, r) =>
        {
            var key = Pick(r, KnownKeys);
            var (label, make) = Pick(r, OddValues);
            if (label == "null" && PathKeys.Contains(key)) (label, make) = OddValues[0]; // null = the machine's default path
            d.Conf[key] = make(d);
            return $"\"{key}\": {label}";
        }),
        new("name-hostile", 4, (d, r) =>
        {
            var (label, value) = HostileString(d, r, "", "a/b", "-net", "..", "net\r\n", "net\u0000x", new string('n', 300), "\u7f51\u7edc", "net work",
                "net%2F", "fuzznet/../x", new string('n', 253), new string('n', 254));
            d.Conf["name"] = value;
            return $"\"name\": {label}";
        }),
        new("cluster-hostile", 2, (d, r) =>
        {
            var (label, value) = HostileString(d, r, "", "c 1", "c/1", new string('c', 65), "c\r\n", "\u00e9", "../c", new string('c', 64));
            d.Conf["clusterId"] = value;
            return $"\"clusterId\": {label}";
        }),
        new("version-hostile", 4, (d, r) =>
        {
            var (label, value) = HostileString(d, r, "0.1.0", "0.2.0", "1.2.0", "2.0.0", "", "1.0", "1.0.0 ", "v1.0.0", "01.0.0", "1.0.0\u0000", "1.1.0\n",
                "0.4.0-rc1", "\u0031.0.0");
            d.Conf["cniVersion"] = value;
            return $"\"cniVersion\": {label}";
        }),
        new("version-other", 3, (d, r) =>
        {
            var v = Pick(r, Versions);
            d.Conf["cniVersion"] = v;
            return $"\"cniVersion\": \"{v}\"";
        }),
        new("loglevel-hostile", 1, (d, r) =>
        {
            var (label, value) = HostileString(d, r, "verbose", "INFO", "", "debug\n", "trace");
            d.Conf["logLevel"] = value;
            return $"\"logLevel\": {label}";
        }),
        new("region-hostile", 1, (d, r) =>
        {
            var (label, value) = HostileString(d, r, "CN_HZ", "cn hangzhou", new string('r', 100), "../x", "cn-hangzhou\r\n", "cn-shanghai");
            d.Conf["regionId"] = value;
            return $"\"regionId\": {label}";
        }),
        new("endpoints-hostile", 2, (d, r) =>
        {
            var key = Pick(r, "vpc", "ecs", "sts", "metadata");
            var (label, value) = HostileString(d, r, "ftp://vpc.example.com", "http://vpc.example.com", "not a url", "http://169.254.169.254", "https://",
                "http://[::1]:1", "https://user:pass@127.0.0.1:1/", "https://" + new string('h', 3000) + ".com", "http://127.0.0.1:99999",
                "file:///etc/passwd", "http://127.0.0.1:1/\r\nX: y", "HTTP://127.0.0.1:1");
            var endpoints = d.Conf["endpoints"] as JsonObject ?? [];
            endpoints[key] = value;
            d.Conf["endpoints"] = endpoints;
            return $"\"endpoints.{key}\": {label}";
        }),
        new("timeouts", 3, (d, r) =>
        {
            var key = Pick(r, "addTimeoutSeconds", "delTimeoutSeconds", "maxConcurrentCloudCalls");
            var v = Pick(r, 0, 1, 4, 5, 6, 64, 65, 110, 111, 200, 201, -1, 100000, int.MaxValue);
            d.Conf[key] = v;
            return $"\"{key}\": {v}";
        }),
        new("kinds-hostile", 1, (d, r) =>
        {
            JsonNode? v = Pick<Func<JsonNode?>>(r, () => "StatefulSet", () => new JsonArray(1), () => new JsonArray(""), () => new JsonArray(new JsonArray()),
                () => new JsonArray(Enumerable.Range(0, 5000).Select(i => (JsonNode?)$"Kind{i}").ToArray()), () => new JsonArray("StatefulSet", null))();
            d.Conf["statefulWorkloadKinds"] = v;
            return $"\"statefulWorkloadKinds\": {Show(v?.ToJsonString() ?? "null")}";
        }),
        new("eni-path-odd", 4, (d, r) =>
        {
            var w = d.World;
            var p = Weighted(r, (w.OddDir, 3), ("/dev/null", 3), (w.Missing, 3), (w.OddFile, 3), (w.OddSymlink, 2), ("/", 1),
                (w.Root + "/../" + Path.GetFileName(w.Root) + "/eni-sim.json", 1), (Fifo(d), 1), ("/dev/zero", 1));
            SetPath(d, "eniConfPath", p);
            return $"\"eniConfPath\": {Describe(d, p)}";
        }),
        new("kubeconfig-odd", 4, (d, r) =>
        {
            var w = d.World;
            var p = Weighted(r, (w.OddDir, 2), ("/dev/null", 2), (w.Missing, 2), (w.OddFile, 2), (w.KubeconfigCrlfToken, 4), (w.KubeconfigCrlfLines, 2),
                (w.KubeconfigCrlfTokenFile, 3), (w.KubeconfigUnicodeToken, 2), (w.KubeconfigGarbage, 2), (w.KubeconfigEmpty, 1), (Fifo(d), 1), ("/dev/zero", 1));
            SetPath(d, "kubeconfig", p);
            return $"\"kubeconfig\": {Describe(d, p)}";
        }),
        new("statedir-odd", 4, (d, r) =>
        {
            var w = d.World;
            var p = Weighted(r, (w.OddFile, 4), (w.OddFile + "/below", 2), ("/dev/null", 2), (w.OddDir, 1), (d.CaseDir + "/a/b/c/d", 1), (w.OddSymlink, 2),
                (d.CaseDir + "/" + new string('s', 300), 1), (d.CaseDir + string.Concat(Enumerable.Repeat("/ssssssss", 500)), 1), (w.StateDir[d.Feature] + "/../x/..", 1));
            SetPath(d, "stateDir", p);
            return $"\"stateDir\": {Describe(d, p)}";
        }),
        new("logfile-odd", 2, (d, r) =>
        {
            var w = d.World;
            var p = Weighted(r, (w.OddDir, 2), ("/dev/null", 2), (w.OddFile + "/below", 2), (w.OddSymlink, 2), (w.Missing, 1), (d.CaseDir + "/" + new string('l', 300), 1), (Fifo(d), 1));
            SetPath(d, "logFile", p);
            return $"\"logFile\": {Describe(d, p)}";
        }),
        new("eni-content", 5, (d, r) =>
        {
            var keys = d.World.EniConfText(true);
            string Json(string key, string rawValue)
            {
                var o = (JsonObject)keys.DeepClone();
                o.Remove(key);
                var s = o.ToJsonString();
                return s[..^1] + $",\"{key}\":{rawValue}}}";
            }
            byte[] content = Weighted(r, (0, 5), (1, 2), (2, 4), (3, 2), (4, 4), (5, 1), (6, 1), (7, 1), (8, 1), (9, 1), (10, 2), (11, 1)) switch
            {
                0 => U(Json("enable_eip_pool", Pick(r, "\"yes\"", "1", "\"True\"", "\"\"", "[\"true\"]", "{}", "\"TRUE\"", "\"true \""))),
                1 => U(Json("allow_eip_rob", Pick(r, "\"on\"", "0", "\"TRUE\"", "null"))),
                2 => U(Json(Pick(r, "region_id", "cluster_id", "access_key", "access_secret"), Pick(r, "5", "{}", "[]", "true", "\"\\udfff\"", "\"\""))),
                3 => U(Json("cluster_id", Pick(r, "\"c/1\"", "\"c 1\"", "\"" + new string('c', 65) + "\"", "\"c-eni\""))),
                4 => U(Pick(r, "not json", "[]", "", "{\"enable_eip_pool\":", "null", "\"true\"", "{\"enable_eip_pool\":\"true\"} {}", "{'enable_eip_pool':'true'}")),
                5 => U(Json("enable_eip_pool", "\"true\",\"enable_eip_pool\":\"false\"")),
                6 => [0xef, 0xbb, 0xbf, .. U(keys.ToJsonString())],
                7 => [.. U(keys.ToJsonString()[..^1] + ",\"x\":\"\u00ff"), 0xff, (byte)'"', (byte)'}'],
                8 => U(Json("x-deep", new string('[', 100) + new string(']', 100))),
                9 => U(Json("x-pad", "\"" + new string('p', 2 << 20) + "\"")),
                10 => U("{\"enable_eip_pool\":\"true\"}"),
                _ => U(Json("enable_eip_pool", "\"false\"")),
            };
            SetPath(d, "eniConfPath", d.AddFile("eni.json", content));
            return $"\"eniConfPath\": this case's file {Show(Encoding.UTF8.GetString(content), 160)}";
        }),
        new("feature-mix", 2, (d, r) =>
        {
            var w = d.World;
            var other = Pick(r, Enum.GetValues<Feature>());
            var what = Pick(r, "eniConfPath", "endpoints", "kubeconfig", "stateDir");
            switch (what)
            {
                case "eniConfPath": d.Conf[what] = w.EniConf[other]; break;
                case "kubeconfig": d.Conf[what] = w.Kubeconfig(other); break;
                case "stateDir": d.Conf[what] = w.StateDir[other]; break;
                default:
                    var url = w.Endpoint(other);
                    d.Conf[what] = new JsonObject { ["vpc"] = url, ["ecs"] = url, ["sts"] = url, ["metadata"] = url };
                    break;
            }
            return $"{what} of feature {other}";
        }),

        // ------------------------------------------------------------------------------------------- prevResult
        new("prev-10k-ips", 2, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            var ips = prev["ips"] as JsonArray ?? [];
            var real = ips.Count > 0 ? ips[0]?.DeepClone() : null;
            var host = prev["interfaces"] is JsonArray { Count: > 1 } ? 0 : -1;
            var list = new JsonArray();
            for (var i = 0; i < 10_000; i++)
            {
                var e = new JsonObject { ["address"] = $"10.{100 + i / 65536}.{i / 256 % 256}.{i % 256}/32" };
                if (host >= 0) e["interface"] = host;
                list.Add(e);
            }
            var at = r.Next(list.Count + 1);
            if (real is not null) list.Insert(at, real);
            prev["ips"] = list;
            return $"prevResult with 10,000 more IPs (the pod's at {at})";
        }),
        new("prev-10k-ips-one-bad", 2, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            var list = new JsonArray();
            if (prev["ips"] is JsonArray { Count: > 0 } ips) list.Add(ips[0]?.DeepClone());
            for (var i = 0; i < 10_000; i++) list.Add(new JsonObject { ["address"] = $"10.{100 + i / 65536}.{i / 256 % 256}.{i % 256}/32" });
            var bad = 1 + r.Next(list.Count - 1);
            var (label, entry) = Pick<(string, JsonObject)>(r, ("\"interface\": \"x\"", new JsonObject { ["address"] = "10.99.0.1/32", ["interface"] = "x" }),
                ("\"address\": \"nonsense\"", new JsonObject { ["address"] = "nonsense" }));
            list[bad] = entry;
            prev["ips"] = list;
            return $"prevResult with 10,001 IPs, entry {bad} has {label}";
        }),
        new("prev-bad-index", 5, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            var ips = prev["ips"] as JsonArray ?? [];
            prev["ips"] = ips;
            var (label, make) = Pick<(string, Func<JsonNode?>)>(r, ("\"x\"", () => "x"), ("1.5", () => 1.5), ("true", () => true), ("{}", () => new JsonObject()),
                ("\"0\"", () => "0"), ("[0]", () => new JsonArray(0)), ("1e999", () => d.RawValue("1e999")), ("\"\"", () => ""));
            var entry = new JsonObject { ["address"] = "10.250.0.200/24", ["interface"] = make() };
            var at = ips.Count == 0 ? 0 : 1 + r.Next(ips.Count);
            ips.Insert(at, entry);
            return $"prevResult.ips[{at}].interface = {label}";
        }),
        new("prev-index-range", 2, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            if (prev["ips"] is not JsonArray { Count: > 0 } ips) return "nothing (no ips)";
            var i = r.Next(ips.Count);
            var raw = Pick(r, "99", "-1", "-2", "3", "2147483648", "-0", "1.0");
            if (ips[i] is not JsonObject entry) return $"nothing (prevResult.ips[{i}] is not an object)";
            entry["interface"] = d.RawValue(raw);
            return $"prevResult.ips[{i}].interface = {raw}";
        }),
        new("prev-bad-address", 3, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            var ips = prev["ips"] as JsonArray ?? [];
            prev["ips"] = ips;
            var (label, make) = Pick<(string, Func<JsonNode?>)>(r, ("\"nonsense\"", () => "nonsense"), ("\"10.0.0.1\"", () => "10.0.0.1"),
                ("\"300.1.1.1/24\"", () => "300.1.1.1/24"), ("\"10.0.0.1/33\"", () => "10.0.0.1/33"), ("\"\"", () => ""), ("5", () => 5),
                ("null", () => null), ("\"fd00::1/129\"", () => "fd00::1/129"), ("\"10.0.0.1/-1\"", () => "10.0.0.1/-1"), ("\"/24\"", () => "/24"),
                ("\"\\udfff/24\"", () => d.RawValue("\"\\udfff/24\"")));
            var entry = new JsonObject { ["address"] = make() };
            if (r.Next(2) == 0) entry["interface"] = 0;
            var at = r.Next(2) == 0 || ips.Count == 0 ? ips.Count : r.Next(ips.Count);
            ips.Insert(at, entry);
            return $"prevResult.ips[{at}].address = {label}";
        }),
        new("prev-shape", 3, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            var (label, edit) = Pick<(string, Action)>(r,
                ("prevResult.ips = \"10.0.0.1/24\"", () => prev["ips"] = "10.0.0.1/24"),
                ("prevResult.ips = {}", () => prev["ips"] = new JsonObject()),
                ("prevResult.ips = [5]", () => prev["ips"] = new JsonArray(5)),
                ("prevResult.ips gets an entry {}", () => (prev["ips"] as JsonArray)?.Add(new JsonObject())),
                ("prevResult.ips gets an entry \"x\"", () => (prev["ips"] as JsonArray)?.Add("x")),
                ("prevResult.ips gets an entry []", () => (prev["ips"] as JsonArray)?.Add(new JsonArray())),
                ("prevResult.interfaces = \"eth0\"", () => prev["interfaces"] = "eth0"),
                ("prevResult.interfaces = [5]", () => prev["interfaces"] = new JsonArray(5)),
                ("prevResult.interfaces[0].name = 5", () => { if (prev["interfaces"] is JsonArray { Count: > 0 } a && a[0] is JsonObject i) i["name"] = 5; }),
                ("prevResult.interfaces = null", () => prev["interfaces"] = null),
                ("prevResult.ips = null", () => prev["ips"] = null),
                ("prevResult.ips = []", () => prev["ips"] = new JsonArray()),
                ("prevResult = {}", () => d.Conf["prevResult"] = new JsonObject()),
                ("prevResult = \"x\"", () => d.Conf["prevResult"] = "x"),
                ("prevResult = []", () => d.Conf["prevResult"] = new JsonArray()),
                ("prevResult = 5", () => d.Conf["prevResult"] = 5),
                ("prevResult = null", () => d.Conf["prevResult"] = null),
                ("prevResult.routes = 5", () => prev["routes"] = 5),
                ("prevResult.dns = []", () => prev["dns"] = new JsonArray()));
            edit();
            return label;
        }),
        new("prev-ipv6-only", 1, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            prev["ips"] = new JsonArray(new JsonObject { ["address"] = "fd00::7/64", ["interface"] = 0 });
            return "prevResult with an IPv6 address only";
        }),
        new("prev-escape", 2, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            var esc = Pick(r, HostileEscapes);
            if (r.Next(2) == 0 && prev["interfaces"] is JsonArray { Count: > 0 } a && a[r.Next(a.Count)] is JsonObject iface)
            {
                iface["name"] = d.RawValue(esc);
                return $"prevResult.interfaces[{a.IndexOf(iface)}].name = {esc}";
            }
            var key = Pick(r, "cniVersion", "x-note", "gateway");
            if (key == "gateway" && prev["ips"] is JsonArray { Count: > 0 } ips && ips[0] is JsonObject first) first["gateway"] = d.RawValue(esc);
            else prev[key] = d.RawValue(esc);
            return $"prevResult.{key} = {esc}";
        }),
        new("prev-extra", 1, (d, r) =>
        {
            var prev = EnsurePrev(d, r);
            var (label, edit) = Pick<(string, Action)>(r,
                ("prevResult.cniVersion = 5", () => prev["cniVersion"] = 5),
                ("no prevResult.cniVersion", () => prev.Remove("cniVersion")),
                ("prevResult.cniVersion = \"9.9.9\"", () => prev["cniVersion"] = "9.9.9"),
                ("prevResult.x-big = 200 KB string", () => prev["x-big"] = new string('b', 200_000)),
                ("prevResult.x-deep nested 60", () => prev["x-deep"] = d.RawValue(new string('[', 60) + new string(']', 60))),
                ("prevResult.x-deep nested 70", () => prev["x-deep"] = d.RawValue(new string('[', 70) + new string(']', 70))),
                ("prevResult.x-num = 1e400", () => prev["x-num"] = d.RawValue("1e400")),
                ("prevResult.ips[0] gets unknown keys", () => { if (prev["ips"] is JsonArray { Count: > 0 } ips && ips[0] is JsonObject first) first["x-unknown"] = new JsonObject { ["y"] = new JsonArray(1, 2) }; }));
            edit();
            return label;
        }),

        // ------------------------------------------------------------------------------------------- pod annotations
        new("annotation-invalid", 4, (d, r) =>
        {
            var ann = EnsureAnnotations(d);
            ann[WantsEip] = "true";
            var prefix = Pick(r, "network.alibabacloud.com/", "k8s.aliyun.com/");
            var (name, value) = Pick(r,
                ("eip-bandwidth", "abc"), ("eip-bandwidth", "0"), ("eip-bandwidth", "-5"), ("eip-bandwidth", "1.5"), ("eip-bandwidth", ""), ("eip-bandwidth", "99999999999999999999"),
                ("eip-internet-charge-type", "Free"), ("eip-internet-charge-type", ""), ("eip-instance-charge-type", "PrePaid"),
                ("eip-isp", "Mars"), ("pod-eip-release-strategy", "sometimes"), ("pod-eip-release-strategy", "-1m"),
                ("pod-eip-instanceid", "nope"), ("pod-eip-instanceid", "../eip-x"), ("eip-name", "http://x"), ("eip-name", new string('n', 129)),
                ("eip-description", new string('d', 257)), ("eip-tags", "not json"), ("eip-tags", "[]"), ("eip-tags", "{\"a\":1}"),
                ("eip-tags", "{" + string.Join(",", Enumerable.Range(0, 13).Select(i => $"\"k{i}\":\"v\"")) + "}"));
            ann[prefix + name] = value;
            return $"asks for an EIP with {prefix}{name}={Show(value)}";
        }),
        new("annotation-odd", 3, (d, r) =>
        {
            var ann = EnsureAnnotations(d);
            var (label, edit) = Pick<(string, Action)>(r,
                ("pod-with-eip = true (a JSON boolean)", () => ann[WantsEip] = true),
                ("pod-with-eip = \"TRUE\"", () => ann[WantsEip] = "TRUE"),
                ("pod-with-eip = \"yes\"", () => ann[WantsEip] = "yes"),
                ("pod-with-eip = 5", () => ann[WantsEip] = 5),
                ("pod-with-eip = null", () => ann[WantsEip] = null),
                ("network.alibabacloud.com/pod-with-eip false, k8s.aliyun.com/pod-with-eip true", () => { ann[WantsEip] = "false"; ann["k8s.aliyun.com/pod-with-eip"] = "true"; }),
                ("asks, eip-name of CR/LF and unicode", () => { ann[WantsEip] = "true"; ann["network.alibabacloud.com/eip-name"] = "n\r\n\u540d\u5b57"; }),
                ("asks, eip-tags nested", () => { ann[WantsEip] = "true"; ann["network.alibabacloud.com/eip-tags"] = "{\"a\":{\"b\":\"c\"}}"; }),
                ("asks, a 100 KB annotation", () => { ann[WantsEip] = "true"; ann["x-big"] = new string('a', 100_000); }),
                ("asks, user EIP that does not exist", () => { ann[WantsEip] = "true"; ann["network.alibabacloud.com/pod-eip-instanceid"] = "eip-fuzz0nonexistent"; }),
                ("asks, annotation value a lone surrogate", () => { ann[WantsEip] = "true"; ann["network.alibabacloud.com/eip-name"] = d.RawValue("\"\\udfff\""); }),
                ("asks, annotation name a lone surrogate", () => { ann[WantsEip] = "true"; ann["x-\ue000"] = "v"; d.StdinEdits.Add(b => CaseDraft.Replace(b, U("x-\ue000"), U("x-\\udfff"))); d.StdinEdits.Add(b => CaseDraft.Replace(b, U("x-\\ue000"), U("x-\\udfff"))); }),
                ("asks, pod-eip-release-strategy Never", () => { ann[WantsEip] = "true"; ann["network.alibabacloud.com/pod-eip-release-strategy"] = "Never"; }),
                ("runtimeConfig = \"x\"", () => d.Conf["runtimeConfig"] = "x"),
                ("runtimeConfig.pod-annotations = []", () => d.Conf["runtimeConfig"] = new JsonObject { [PodAnnotations] = new JsonArray() }));
            edit();
            return label;
        }),
        new("gc-list", 3, (d, r) =>
        {
            var key = Pick(r, "cni.dev/valid-attachments", "cni.dev/attachments");
            var (label, make) = Pick<(string, Func<JsonNode?>)>(r,
                ("\"all\"", () => "all"), ("[5]", () => new JsonArray(5)), ("[{}]", () => new JsonArray(new JsonObject())),
                ("[{containerID only}]", () => new JsonArray(new JsonObject { ["containerID"] = "fz-01" })), ("{}", () => new JsonObject()),
                ("[{containerID: 5}]", () => new JsonArray(new JsonObject { ["containerID"] = 5, ["ifname"] = "eth0" })),
                ("10,000 attachments", () => new JsonArray(Enumerable.Range(0, 10_000).Select(i => (JsonNode?)new JsonObject { ["containerID"] = $"c{i}", ["ifname"] = "eth0" }).ToArray())),
                ("hostile IDs", () => new JsonArray(new JsonObject { ["containerID"] = "../../etc", ["ifname"] = "eth0" }, new JsonObject { ["containerID"] = new string('c', 2000), ["ifname"] = "e/0" })),
                ("[]", () => new JsonArray()), ("null", () => null));
            d.Conf[key] = make();
            return $"\"{key}\": {label}";
        }),

        // ------------------------------------------------------------------------------------------- bytes of stdin
        new("dup-key", 3, (d, r) =>
        {
            var (key, value) = Pick(r, ("cniVersion", "\"0.1.0\""), ("cniVersion", "\"1.1.0\""), ("name", "\"bad/name\""), ("prevResult", "{}"),
                ("stateDir", "\"" + d.World.OddFile + "\""), ("clusterId", "\"c 1\""), ("addTimeoutSeconds", "\"soon\""), ("prevResult", "{\"ips\":[{\"address\":\"10.0.0.1/24\",\"interface\":\"x\"}]}"));
            var front = r.Next(2) == 0;
            d.StdinEdits.Add(b => front ? [(byte)'{', .. U($"\"{key}\":{value},"), .. b.AsSpan(1)] : [.. b.AsSpan(0, b.Length - 1), .. U($",\"{key}\":{value}}}")]);
            return $"duplicate \"{key}\": {value} {(front ? "before" : "after")} the original";
        }),
        new("bad-utf8", 3, (d, r) =>
        {
            byte[] bad = Pick(r, new byte[] { 0xff }, new byte[] { 0xc0, 0xaf }, new byte[] { 0xed, 0xa0, 0x80 }, new byte[] { 0xe2, 0x82 }, new byte[] { 0xf8, 0x88, 0x80, 0x80, 0x80 }, new byte[] { 0x80 });
            var key = Pick(r, "name", "clusterId", "x-note", "cniVersion");
            d.Conf[key] = d.RawValue([(byte)'"', (byte)'a', .. bad, (byte)'"']);
            return $"\"{key}\" holds bytes {Convert.ToHexString(bad)} (not UTF-8)";
        }),
        new("bad-escape", 2, (d, r) =>
        {
            var esc = Pick(r, "\"\\x41\"", "\"\\u12\"", "\"\\U0041\"", "\"\\'\"", "\"\\a\"", "\"\\u00zz\"");
            var key = Pick(r, "name", "x-note", "clusterId");
            d.Conf[key] = d.RawValue(esc);
            return $"\"{key}\": {esc} (not a JSON escape)";
        }),
        new("surrogate", 4, (d, r) =>
        {
            var esc = Pick(r, HostileEscapes);
            var key = Pick(r, "name", "name", "clusterId", "x-note", "logLevel", "regionId", "eniConfPath", "kubeconfig", "stateDir", "logFile", "cniVersion");
            if (PathKeys.Contains(key) && !esc.Contains("\\u0000")) esc = esc.Insert(1, d.World.Root + "/"); // an absolute path with the escape in it
            d.Conf[key] = d.RawValue(esc);
            return $"\"{key}\": {esc}";
        }),
        new("surrogate-key", 1, (d, r) =>
        {
            var esc = Pick(r, "\\udfff", "\\ud800", "\\u0000", "name\\u0000");
            d.StdinEdits.Add(b => b.Length == 0 ? b : [(byte)'{', .. U($"\"{esc}\":1,"), .. b.AsSpan(1)]); // another edit may have emptied stdin
            return $"a key named \"{esc}\"";
        }),
        new("deep", 2, (d, r) =>
        {
            var depth = Pick(r, 10, 63, 64, 65, 100, 1000, 5000); // deeper would cost the oracle's parser seconds (it is quadratic in depth)
            var obj = r.Next(2) == 0;
            var raw = obj ? string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) : new string('[', depth) + new string(']', depth);
            d.Conf["x-deep"] = d.RawValue(raw);
            return $"\"x-deep\" nested {depth} {(obj ? "objects" : "arrays")}";
        }),
        new("huge-number", 2, (d, r) =>
        {
            var n = Pick(r, "1e999999", new string('9', 300), "-0.0e-999", "0.000000000000000000000000000000001", "1" + new string('0', 5000));
            var key = Pick(r, "x-num", "addTimeoutSeconds", "delTimeoutSeconds", "maxConcurrentCloudCalls");
            d.Conf[key] = d.RawValue(n);
            return $"\"{key}\": {Show(n, 40)}";
        }),
        new("stdin-whole", 5, (d, r) =>
        {
            var (label, edit) = Pick<(string, Func<byte[], byte[]>)>(r,
                ("cut short", b => b[..Math.Max(0, b.Length - 1 - r.Next(Math.Max(1, b.Length)))]),
                ("trailing garbage", b => [.. b, .. "garbage"u8]),
                ("a second document", b => [.. b, .. " {}"u8]),
                ("a UTF-8 BOM first", b => [0xef, 0xbb, 0xbf, .. b]),
                ("padded with whitespace", b => [.. " \n\t\r "u8, .. b, .. "\n\n"u8]),
                ("padded to 2 MiB", b => [.. Enumerable.Repeat((byte)' ', 2 << 20), .. b]),
                ("empty", _ => []),
                ("null", _ => "null"u8.ToArray()),
                ("[]", _ => "[]"u8.ToArray()),
                ("\"x\"", _ => "\"x\""u8.ToArray()),
                ("{}", _ => "{}"u8.ToArray()),
                ("UTF-16LE", b => Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(b))),
                ("NUL bytes", _ => new byte[4096]),
                ("a raw CR LF inside a string", b => CaseDraft.Replace(b, "\"eip-cni\""u8.ToArray(), "\"eip\r\ncni\""u8.ToArray())),
                ("a raw NUL inside a string", b => CaseDraft.Replace(b, "\"eip-cni\""u8.ToArray(), "\"eip\0cni\""u8.ToArray())),
                ("a comment", b => [(byte)'{', .. "/* x */"u8, .. b.AsSpan(1)]),
                ("a trailing comma", b => [.. b.AsSpan(0, b.Length - 1), .. ",}"u8]),
                ("single quotes", b => CaseDraft.Replace(b, "\"type\":\"eip-cni\""u8.ToArray(), "'type':'eip-cni'"u8.ToArray())),
                ("NaN", b => [(byte)'{', .. "\"x-num\":NaN,"u8, .. b.AsSpan(1)]),
                ("10 MB of x", _ => Enumerable.Repeat((byte)'x', 10 << 20).ToArray()));
            d.StdinEdits.Add(edit);
            return label;
        }),
    ];

    // ----------------------------------------------------------------------------------------------- helpers

    private static void SetContainerId(CaseDraft d, string id)
    {
        d.RawEnv.Remove("CNI_CONTAINERID");
        d.Env["CNI_CONTAINERID"] = id;
    }

    /// <summary>Points a path key somewhere; /dev/zero gets a heap limit so the plugin cannot eat the machine's memory while reading it.</summary>
    private static void SetPath(CaseDraft d, string key, string path)
    {
        d.Conf[key] = path;
        if (path == "/dev/zero") d.HarnessEnv["DOTNET_GCHeapHardLimit"] = "0x2000000";
    }

    /// <summary>A FIFO of this case's own, so no other case opens its other end. Opening it blocks: a hang unless bounded.</summary>
    private static string Fifo(CaseDraft d) => d.AddFile("fifo", [], CaseFileKind.Fifo);

    private static string Describe(CaseDraft d, string path)
    {
        var w = d.World;
        var what = path == w.OddDir ? "a directory" : path == w.OddFile ? "a regular file" : d.Files.GetValueOrDefault(path)?.Kind == CaseFileKind.Fifo ? "a FIFO" : path == w.OddSymlink ? "a symlink to a regular file"
            : path == w.Missing ? "a missing path" : path.StartsWith(w.OddFile + "/", StringComparison.Ordinal) ? "a path below a regular file" : null;
        return Show(path, 120) + (what is null ? "" : $" ({what})");
    }

    private static JsonObject EnsurePrev(CaseDraft d, Random r)
    {
        if (d.Conf["prevResult"] is JsonObject prev) return prev;
        var version = d.Conf["cniVersion"] is JsonValue v && v.TryGetValue<string>(out var s) && Versions.Contains(s) ? s : "1.0.0";
        prev = PrevResult(r, version, "eth0", "/var/run/netns/fz", FuzzWorld.PodIp(r));
        d.Conf["prevResult"] = prev;
        return prev;
    }

    private static JsonObject EnsureAnnotations(CaseDraft d)
    {
        var rc = d.Conf["runtimeConfig"] as JsonObject ?? [];
        d.Conf["runtimeConfig"] = rc;
        var ann = rc[PodAnnotations] as JsonObject ?? [];
        rc[PodAnnotations] = ann;
        return ann;
    }

    /// <summary>One of <paramref name="plain"/>, or (a quarter of the time) a hostile escape spliced in raw.</summary>
    private static (string Label, JsonNode? Value) HostileString(CaseDraft d, Random r, params string[] plain)
    {
        if (r.Next(4) == 0)
        {
            var esc = Pick(r, HostileEscapes);
            return (esc, d.RawValue(esc));
        }
        var s = Pick(r, plain);
        return (Show(s), s);
    }

    private static string LongName(Random r, int length)
    {
        const string head = "abcdefghijklmnopqrstuvwxyz0123456789";
        const string body = "abcdef0123456789-_.ABCDEF";
        var sb = new StringBuilder(length).Append(head[r.Next(head.Length)]);
        while (sb.Length < length) sb.Append(body[r.Next(body.Length)]);
        return sb.ToString();
    }

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A value for a label or a reproducer: quoted, control characters escaped, cut short.</summary>
    public static string Show(string s, int max = 80)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s.Length > max ? s[..max] : s)
            sb.Append(c switch { '\r' => "\\r", '\n' => "\\n", '\t' => "\\t", '"' => "\\\"", '\\' => "\\\\", < ' ' or '\u007f' or '\u0085' or '\u202e' => $"\\u{(int)c:x4}", _ => c.ToString() });
        sb.Append('"');
        if (s.Length > max) sb.Append($"…({s.Length} chars)");
        return sb.ToString();
    }
}

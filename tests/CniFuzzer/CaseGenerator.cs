using System.Text.Json.Nodes;

namespace CniFuzzer;

/// <summary>
/// Draws cases from the seed: a valid call as a runtime sends it (verb, version, feature, pod asking or not), then up
/// to three mutations from <see cref="Mutations"/>. A case is rebuilt from its <see cref="CaseRecipe"/>, also with
/// fewer mutations (shrinking).
/// </summary>
public static partial class CaseGenerator
{
    public static readonly string[] Versions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];
    public const string Network = "fuzznet";
    public const string ClusterId = "c-fuzz";
    public const string WantsEip = "network.alibabacloud.com/pod-with-eip";
    public const string PodAnnotations = "io.kubernetes.cri.pod-annotations";

    public static CaseRecipe Draw(int seed, int number)
    {
        var rnd = new FuzzRandom((long)seed << 32 | (uint)number);
        var baseSeed = rnd.Next();
        var count = rnd.NextDouble() switch { < 0.10 => 0, < 0.55 => 1, < 0.85 => 2, _ => 3 };
        var total = Mutations.Sum(m => m.Weight);
        var picks = new List<(int, int)>();
        for (var i = 0; i < count; i++)
        {
            var x = rnd.Next(total);
            var op = 0;
            while (x >= Mutations[op].Weight) x -= Mutations[op++].Weight;
            picks.Add((op, rnd.Next()));
        }
        return new CaseRecipe(number, baseSeed, picks);
    }

    /// <summary>The case of <paramref name="recipe"/>, or with only the mutations at <paramref name="keep"/>.</summary>
    public static BuiltCase Build(FuzzWorld world, CaseRecipe recipe, IReadOnlyCollection<int>? keep = null)
    {
        var draft = Base(world, new FuzzRandom(recipe.BaseSeed), world.NewCaseDir());
        for (var i = 0; i < recipe.Mutations.Count; i++)
        {
            if (keep is not null && !keep.Contains(i)) continue;
            var (op, seed) = recipe.Mutations[i];
            var m = Mutations[op];
            draft.Labels.Add($"{m.Name}: {m.Apply(draft, new FuzzRandom(seed))}");
        }
        if (keep is not null) recipe = recipe with { Mutations = recipe.Mutations.Where((_, i) => keep.Contains(i)).ToArray() };
        return draft.Build(recipe);
    }

    /// <summary>A valid call, as containerd and libcni make it.</summary>
    private static CaseDraft Base(FuzzWorld world, Random r, string caseDir)
    {
        var feature = Weighted(r, (Feature.Off, 30), (Feature.Sim, 45), (Feature.Unreachable, 25));
        var d = new CaseDraft(world, feature, caseDir) { RelaxedEscaping = r.Next(2) == 0 };
        var verb = Weighted(r, ("ADD", 34), ("DEL", 18), ("CHECK", 14), ("GC", 12), ("STATUS", 12), ("VERSION", 10));
        d.Command = verb;
        var version = verb switch
        {
            "CHECK" => Pick(r, "0.4.0", "1.0.0", "1.1.0"),
            "GC" or "STATUS" => "1.1.0",
            _ => Pick(r, Versions),
        };
        d.Env["CNI_COMMAND"] = verb;
        d.Env["CNI_PATH"] = "/opt/cni/bin";
        if (verb == "VERSION")
        {
            d.Conf = new JsonObject { ["cniVersion"] = version };
            return d;
        }

        var k = r.Next(24);
        var containerId = $"fz-{k:00}";
        var ifName = r.Next(10) == 0 ? "net1" : "eth0";
        var netns = $"/var/run/netns/fz-{k:00}";
        var perAttachment = verb is "ADD" or "CHECK" or "DEL";
        var asks = perAttachment && r.Next(2) == 0;
        var viaRuntime = r.Next(4) != 0;
        var pod = asks ? FuzzWorld.AskingPod : FuzzWorld.PlainPod;
        if (perAttachment)
        {
            d.Env["CNI_CONTAINERID"] = containerId;
            d.Env["CNI_NETNS"] = netns;
            d.Env["CNI_IFNAME"] = ifName;
            d.Env["CNI_ARGS"] = $"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod};K8S_POD_INFRA_CONTAINER_ID={containerId};K8S_POD_UID=uid-{pod}";
        }

        var on = feature != Feature.Off;
        var conf = new JsonObject
        {
            ["cniVersion"] = version,
            ["name"] = r.Next(10) == 0 ? Network + "-2" : Network,
            ["type"] = "eip-cni",
        };
        if (r.Next(20) != 0) conf["clusterId"] = ClusterId;
        conf["eniConfPath"] = on ? world.EniConf[feature] : r.Next(2) == 0 ? world.EniConf[Feature.Off] : world.Missing;
        conf["kubeconfig"] = world.Kubeconfig(feature);
        conf["stateDir"] = world.StateDir[feature];
        conf["logFile"] = world.LogFile[feature];
        if (r.Next(10) < 7) conf["logLevel"] = Pick(r, "debug", "info", "warn", "error");
        if (on || r.Next(2) == 0)
        {
            var url = world.Endpoint(feature);
            conf["endpoints"] = new JsonObject { ["vpc"] = url, ["ecs"] = url, ["sts"] = url, ["metadata"] = url };
        }
        if (r.Next(2) == 0) conf["regionId"] = FuzzWorld.Region;
        conf["addTimeoutSeconds"] = 5;
        conf["delTimeoutSeconds"] = 2;
        if (r.Next(4) == 0) conf["maxConcurrentCloudCalls"] = r.Next(1, 9);
        conf["capabilities"] = new JsonObject { [PodAnnotations] = true };
        if (perAttachment && viaRuntime)
        {
            var annotations = new JsonObject { ["app"] = "web" };
            if (asks) annotations[WantsEip] = "true";
            else if (r.Next(2) == 0) annotations[WantsEip] = "false";
            conf["runtimeConfig"] = new JsonObject { [PodAnnotations] = annotations };
        }
        if (verb is "ADD" or "CHECK" || (verb == "DEL" && r.Next(10) < 3))
            conf["prevResult"] = PrevResult(r, version, ifName, netns, FuzzWorld.PodIp(r));
        if (verb == "GC" && r.Next(10) < 7)
        {
            var list = new JsonArray();
            for (var i = r.Next(0, 6); i > 0; i--) list.Add(new JsonObject { ["containerID"] = $"fz-{r.Next(24):00}", ["ifname"] = "eth0" });
            conf["cni.dev/valid-attachments"] = list;
        }
        d.Conf = conf;
        return d;
    }

    /// <summary>The primary plugin's result: bridge-like (host interfaces, then the pod's) or Terway-like (the pod's only).</summary>
    public static JsonObject PrevResult(Random r, string version, string ifName, string netns, string ip)
    {
        var old = version is "0.3.0" or "0.3.1" or "0.4.0";
        var terway = r.Next(3) == 0;
        var interfaces = new JsonArray();
        int index;
        if (terway)
        {
            interfaces.Add(new JsonObject { ["name"] = ifName, ["mac"] = Mac(r) });
            index = 0;
        }
        else
        {
            interfaces.Add(new JsonObject { ["name"] = "cni0", ["mac"] = Mac(r) });
            interfaces.Add(new JsonObject { ["name"] = $"veth{r.Next():x8}", ["mac"] = Mac(r) });
            interfaces.Add(new JsonObject { ["name"] = ifName, ["mac"] = Mac(r), ["sandbox"] = netns });
            index = 2;
        }
        var ips = new JsonArray();
        var v4 = new JsonObject { ["address"] = ip + (terway ? "/32" : "/24"), ["gateway"] = terway ? "169.254.1.1" : "10.250.0.1" };
        if (old) v4["version"] = "4";
        if (r.Next(5) != 0) v4["interface"] = index;
        ips.Add(v4);
        if (r.Next(2) == 0)
        {
            var v6 = new JsonObject { ["address"] = $"fd00::{ip.Split('.')[3]}/64", ["interface"] = index };
            if (old) v6["version"] = "6";
            ips.Add(v6);
        }
        return new JsonObject
        {
            ["cniVersion"] = r.Next(3) == 0 ? "0.4.0" : version,
            ["interfaces"] = interfaces,
            ["ips"] = ips,
            ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
            ["dns"] = new JsonObject(),
        };
    }

    private static string Mac(Random r) => string.Join(":", Enumerable.Range(0, 6).Select(i => (i == 0 ? 0x02 : r.Next(256)).ToString("x2")));

    public static T Pick<T>(Random r, params T[] items) => items[r.Next(items.Length)];

    public static T Weighted<T>(Random r, params (T Item, int Weight)[] items)
    {
        var x = r.Next(items.Sum(i => i.Weight));
        foreach (var (item, weight) in items)
        {
            if (x < weight) return item;
            x -= weight;
        }
        throw new InvalidOperationException("unreachable");
    }
}

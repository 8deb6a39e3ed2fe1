using System.Text.Json.Nodes;

namespace FaultCampaign;

/// <summary>What a pod asks for.</summary>
public enum PodKind { Automatic, UserSpecified, NoEip }

/// <summary>How the runtime drives ADD for one sandbox.</summary>
public enum AddScenario
{
    Plain,
    /// <summary>The same container ID is ADDed again after the first ADD returned (a runtime retrying a call it lost).</summary>
    DuplicateSequential,
    /// <summary>A second ADD of the same container ID while the first is still running.</summary>
    DuplicateConcurrent,
    /// <summary>The runtime tears the sandbox down (DEL) while its ADD is still running; kubelet then makes a new sandbox.</summary>
    DelDuringAdd,
}

/// <summary>What a console user does to the pod's EIP between ADD and DEL.</summary>
public enum OutOfBand { None, Unbind, UnbindNow, Delete }

/// <summary>A cloud fault rule and the verb it is posted before ("add" or "del"). Faults are global in the simulator.</summary>
public sealed record CloudFault(string Phase, JsonObject Rule)
{
    public string Describe() => $"{Phase}:{Rule.ToJsonString()}";
}

/// <summary>Everything drawn for one sandbox (one container ID) of a pod.</summary>
public sealed record AttemptPlan(IReadOnlyList<CloudFault> Faults, AddScenario Scenario, int? AddDeadlineMs, int? DelDeadlineMs,
    OutOfBand OutOfBand, int DelDuringAddDelayMs, int RunMs)
{
    public bool Clean => Faults.Count == 0 && Scenario == AddScenario.Plain && AddDeadlineMs is null && DelDeadlineMs is null && OutOfBand == OutOfBand.None;

    public string Describe()
    {
        if (Clean) return "no fault";
        var parts = new List<string>();
        if (Scenario != AddScenario.Plain) parts.Add(Scenario == AddScenario.DelDuringAdd ? $"DelDuringAdd(+{DelDuringAddDelayMs} ms)" : Scenario.ToString());
        if (AddDeadlineMs is { } a) parts.Add($"SIGKILL at ADD deadline {a} ms");
        if (DelDeadlineMs is { } d) parts.Add($"SIGKILL at first DEL deadline {d} ms");
        if (OutOfBand != OutOfBand.None) parts.Add($"console {OutOfBand}");
        parts.AddRange(Faults.Select(f => f.Describe()));
        return string.Join("; ", parts);
    }

    static readonly (string Code, int Status)[] CloudErrors =
        [("Throttling.User", 400), ("ServiceUnavailable", 503), ("InternalError", 500), ("TaskConflict", 400), ("IncorrectEipStatus", 400)];
    static readonly string[] AddActions = ["AllocateEipAddress", "AssociateEipAddress", "DescribeEipAddresses", "AddCommonBandwidthPackageIp", "*"];
    static readonly string[] DelActions = ["UnassociateEipAddress", "ReleaseEipAddress", "DescribeEipAddresses", "RemoveCommonBandwidthPackageIp", "*"];
    static readonly string[] AddMutations = ["AllocateEipAddress", "AssociateEipAddress", "AddCommonBandwidthPackageIp"];
    static readonly string[] DelMutations = ["UnassociateEipAddress", "ReleaseEipAddress", "RemoveCommonBandwidthPackageIp"];

    /// <summary>Draws one sandbox's faults: about a third of the sandboxes get none, the others one or two.</summary>
    public static AttemptPlan Draw(Random rnd, PodKind kind, CampaignOptions o)
    {
        var runMs = rnd.Next(0, 300);
        if (rnd.NextDouble() < 0.35) return new([], AddScenario.Plain, null, null, OutOfBand.None, 0, runMs);
        var faults = new List<CloudFault>();
        var scenario = AddScenario.Plain;
        int? addDeadline = null, delDeadline = null;
        var outOfBand = OutOfBand.None;
        var delay = 0;
        for (var n = rnd.Next(1, 3); n > 0; n--)
        {
            var phase = rnd.Next(2) == 0 ? "add" : "del";
            T Pick<T>(T[] from) => from[rnd.Next(from.Length)];
            var roll = rnd.Next(100);
            if (roll < 30)
            {
                var (code, status) = Pick(CloudErrors);
                faults.Add(new(phase, new JsonObject
                {
                    ["action"] = Pick(phase == "add" ? AddActions : DelActions), ["code"] = code, ["httpStatus"] = status, ["count"] = rnd.Next(1, 4),
                }));
            }
            else if (roll < 45)
            {
                // The cloud did it, the answer was lost (connection dropped) or replaced by an error.
                var rule = new JsonObject { ["action"] = Pick(phase == "add" ? AddMutations : DelMutations), ["afterApply"] = true, ["count"] = 1 };
                if (rnd.Next(10) < 7) rule["drop"] = true;
                else { rule["code"] = "InternalError"; rule["httpStatus"] = 500; }
                faults.Add(new(phase, rule));
            }
            else if (roll < 57)
            {
                // Later than the verb's whole budget: the plugin gives up, the cloud still does it.
                var budget = (phase == "add" ? o.AddTimeoutSeconds : o.DelTimeoutSeconds) * 1000;
                faults.Add(new(phase, new JsonObject
                {
                    ["action"] = Pick((phase == "add" ? AddActions : DelActions)[..4]), ["stallMs"] = budget + rnd.Next(500, 3000), ["count"] = 1,
                }));
            }
            else if (roll < 67) addDeadline = rnd.Next(150, 2500);
            else if (roll < 75) delDeadline = rnd.Next(100, 1500);
            else if (roll < 80) scenario = AddScenario.DuplicateSequential;
            else if (roll < 85) scenario = AddScenario.DuplicateConcurrent;
            else if (roll < 91) { scenario = AddScenario.DelDuringAdd; delay = rnd.Next(0, 800); }
            else if (kind != PodKind.NoEip)
                outOfBand = kind == PodKind.Automatic ? Pick([OutOfBand.Unbind, OutOfBand.UnbindNow, OutOfBand.Delete]) : Pick([OutOfBand.Unbind, OutOfBand.UnbindNow]);
        }
        return new(faults, scenario, addDeadline, delDeadline, outOfBand, delay, runMs);
    }
}

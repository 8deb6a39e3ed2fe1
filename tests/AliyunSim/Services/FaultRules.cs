using System.Text.Json.Nodes;

namespace AliyunSim.Services;

/// <summary>One injected fault (POST /_sim/faults).</summary>
public sealed class FaultRule
{
    public int Id { get; init; }
    public string Action { get; init; } = "*";
    public string? Code { get; init; }
    public int HttpStatus { get; init; } = 503;
    public string? Message { get; init; }
    public double Probability { get; init; } = 1.0;
    /// <summary>Remaining firings; null = unlimited.</summary>
    public int? Count { get; set; }
    public int LatencyMs { get; init; }
    public bool Drop { get; init; }
    public int StallMs { get; init; }
    public bool AfterApply { get; init; }
    /// <summary>Old stall semantics: a client that disconnects during the stall cancels the call (no effect happens).</summary>
    public bool AbandonOnDisconnect { get; init; }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id, ["action"] = Action, ["code"] = Code, ["httpStatus"] = HttpStatus, ["message"] = Message,
        ["probability"] = Probability, ["count"] = Count, ["latencyMs"] = LatencyMs, ["drop"] = Drop,
        ["stallMs"] = StallMs, ["afterApply"] = AfterApply, ["abandonOnDisconnect"] = AbandonOnDisconnect,
    };
}

/// <summary>The active fault rules; the first matching rule that fires is consumed once.</summary>
public sealed class FaultRules
{
    readonly Lock gate = new();
    readonly List<FaultRule> rules = [];
    int nextId = 1;

    public FaultRule Add(JsonObject body)
    {
        var code = body["code"]?.GetValue<string>();
        var drop = body["drop"]?.GetValue<bool>() ?? false;
        var rule = new FaultRule
        {
            Action = body["action"]?.GetValue<string>() ?? "*",
            Code = code,
            HttpStatus = body["httpStatus"]?.GetValue<int>() ?? 503,
            Message = body["message"]?.GetValue<string>(),
            Probability = body["probability"]?.GetValue<double>() ?? 1.0,
            Count = body["count"]?.GetValue<int>(),
            LatencyMs = body["latencyMs"]?.GetValue<int>() ?? 0,
            Drop = drop,
            StallMs = body["stallMs"]?.GetValue<int>() ?? 0,
            AfterApply = body["afterApply"]?.GetValue<bool>() ?? false,
            AbandonOnDisconnect = body["abandonOnDisconnect"]?.GetValue<bool>() ?? false,
        };
        if (rule.Code is null && !rule.Drop && rule.StallMs == 0 && rule.LatencyMs == 0)
            throw new ArgumentException("a fault needs code, drop, stallMs or latencyMs");
        if (rule.Probability is < 0 or > 1) throw new ArgumentException("probability must be in 0..1");
        lock (gate)
        {
            rule = new FaultRule
            {
                Id = nextId++, Action = rule.Action, Code = rule.Code, HttpStatus = rule.HttpStatus, Message = rule.Message,
                Probability = rule.Probability, Count = rule.Count, LatencyMs = rule.LatencyMs, Drop = rule.Drop,
                StallMs = rule.StallMs, AfterApply = rule.AfterApply, AbandonOnDisconnect = rule.AbandonOnDisconnect,
            };
            rules.Add(rule);
        }
        return rule;
    }

    /// <summary>The rule that fires for this action now (its count is decremented), or null.</summary>
    public FaultRule? Fire(string action)
    {
        lock (gate)
        {
            foreach (var rule in rules)
            {
                if (rule.Action != "*" && rule.Action != action) continue;
                if (rule.Probability < 1 && Random.Shared.NextDouble() >= rule.Probability) continue;
                if (rule.Count is { } c)
                {
                    rule.Count = c - 1;
                    if (rule.Count <= 0) rules.Remove(rule);
                }
                return rule;
            }
            return null;
        }
    }

    public JsonArray List() { lock (gate) return new JsonArray(rules.Select(r => (JsonNode)r.ToJson()).ToArray()); }

    public void Clear() { lock (gate) rules.Clear(); }
}

using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>
/// The simulator's minimal RBAC: a user with rules may do only what one of them allows (403 Forbidden otherwise); a user without rules
/// may do everything. The read-only user's rules are built in and survive a reset.
/// </summary>
public sealed class AccessRules
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<AccessRule>> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<AccessRule>> _builtIn = new(StringComparer.Ordinal);

    public AccessRules(IReadOnlyDictionary<string, List<AccessRule>> builtIn)
    {
        foreach (var (user, rules) in builtIn) _builtIn[user] = rules;
        Clear();
    }

    public void Set(string user, List<AccessRule> rules)
    {
        lock (_gate) _rules[user] = rules;
    }

    public bool Remove(string user)
    {
        lock (_gate) return _rules.Remove(user);
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            foreach (var (user, rules) in _builtIn) _rules[user] = rules;
        }
    }

    public void Check(string user, RequestAttributes a)
    {
        lock (_gate)
        {
            if (!_rules.TryGetValue(user, out var rules) || rules.Any(r => r.Allows(a))) return;
        }
        throw ApiError.Forbidden(user, a.Verb, a.Resource, a.Subresource, a.ApiGroup, a.Namespace, a.Name);
    }

    public JsonObject ToJson()
    {
        lock (_gate)
        {
            var o = new JsonObject();
            foreach (var (user, rules) in _rules.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                o[user] = new JsonArray(rules.Select(r => (JsonNode)r.ToJson()).ToArray());
            return o;
        }
    }
}

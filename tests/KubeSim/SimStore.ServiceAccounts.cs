using System.Text.Json.Nodes;

namespace KubeSim;

public sealed partial class SimStore
{
    /// <summary>The service account a TokenRequest names. With automatic service accounts a missing one is created first; otherwise 404.</summary>
    public JsonObject ServiceAccountForToken(string ns, string name, bool autoCreate)
    {
        lock (_gate)
        {
            var table = _tables[ResourceType.ServiceAccounts];
            var key = table.Key(ns, name);
            if (table.Objects.TryGetValue(key, out var sa)) return Clone(sa);
            if (!autoCreate) throw ApiError.NotFound("serviceaccounts", name);
            var created = new JsonObject
            {
                ["kind"] = "ServiceAccount",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name, ["namespace"] = ns, ["uid"] = Guid.NewGuid().ToString(), ["creationTimestamp"] = Now(),
                },
            };
            return Clone(Write(table, key, created, null));
        }
    }

    /// <summary>The pod a token is to be bound to, checked as TokenRequest does: it exists, runs as that service account, and has the given uid.</summary>
    public JsonObject PodForToken(string ns, string serviceAccount, string podName, string? uid)
    {
        var pod = Get(ResourceType.Pods, ns, podName);
        var runsAs = pod["spec"]?["serviceAccountName"]?.ToString() is { Length: > 0 } s ? s : "default";
        if (runsAs != serviceAccount)
            throw ApiError.BadRequest($"cannot bind token for serviceaccount \"{serviceAccount}\" to pod running with serviceaccount \"{runsAs}\"");
        var podUid = pod["metadata"]!["uid"]!.ToString();
        if (!string.IsNullOrEmpty(uid) && uid != podUid)
            throw ApiError.Conflict("Pod", podName, "",
                $"the UID in the bound object reference ({uid}) does not match the UID in record ({podUid}). The object might have been deleted and then recreated");
        return pod;
    }

    /// <summary>True while the object exists with this uid: how a token's service account and bound pod are checked on every request.</summary>
    public bool Exists(ResourceType type, string ns, string name, string uid) =>
        Find(type, ns, name)?["metadata"]?["uid"]?.ToString() == uid;
}

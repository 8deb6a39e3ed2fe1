using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

public static partial class ApiRoutes
{
    private const string TokenRequestGroup = "authentication.k8s.io";

    /// <summary>
    /// POST .../serviceaccounts/{name}/token: an authentication.k8s.io/v1 TokenRequest in, the same with status.token and
    /// status.expirationTimestamp out (201). expirationSeconds defaults to 3600 and must be at least the configured minimum
    /// (the apiserver's is 10 minutes); audiences default to the apiserver's; spec.boundObjectRef may bind the token to a Pod.
    /// </summary>
    private static async Task<IResult> CreateToken(HttpContext context, Sim sim, string ns, string name)
    {
        var request = await ReadObject(context);
        var spec = request["spec"] as JsonObject ?? new JsonObject();
        var expirationSeconds = spec["expirationSeconds"] is JsonValue e ? e.GetValue<long>() : 3600;
        var min = sim.Options.MinTokenSeconds;
        if (expirationSeconds < min)
        {
            var least = min == 600 ? "10 minutes" : min == 1 ? "1 second" : $"{min} seconds";
            throw ApiError.Invalid("TokenRequest", name, TokenRequestGroup,
                ("spec.expirationSeconds", "FieldValueInvalid", $"Invalid value: {expirationSeconds}: may not specify a duration less than {least}"));
        }
        if (expirationSeconds > 1L << 32)
            throw ApiError.Invalid("TokenRequest", name, TokenRequestGroup,
                ("spec.expirationSeconds", "FieldValueInvalid", $"Invalid value: {expirationSeconds}: may not specify a duration larger than 2^32 seconds"));
        var audiences = spec["audiences"] is JsonArray a && a.Count > 0
            ? a.Select(v => v?.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw ApiError.BadRequest("spec.audiences must be a list of strings")).ToList()
            : [ServiceAccountTokens.Issuer];

        var serviceAccount = sim.Store.ServiceAccountForToken(ns, name, sim.Options.AutoServiceAccounts);
        string? podName = null, podUid = null;
        if (spec["boundObjectRef"] is JsonObject bound)
        {
            var kind = bound["kind"]?.ToString() ?? "";
            var boundName = bound["name"]?.ToString() ?? "";
            switch (kind)
            {
                case "Pod":
                    var pod = sim.Store.PodForToken(ns, name, boundName, bound["uid"]?.ToString());
                    (podName, podUid) = (boundName, pod["metadata"]!["uid"]!.ToString());
                    break;
                case "Secret":
                    throw ApiError.NotFound("secrets", boundName); // the simulator stores no secrets
                default:
                    throw ApiError.BadRequest($"cannot bind token to object of type {bound["apiVersion"]}, Kind={kind}");
            }
        }

        // The expiry is rounded up to a whole second (a JWT's exp is in seconds), so the token lives at least what was asked.
        var now = DateTimeOffset.UtcNow;
        var expiry = DateTimeOffset.FromUnixTimeSeconds((long)Math.Ceiling((now.AddSeconds(expirationSeconds) - DateTimeOffset.UnixEpoch).TotalSeconds));
        var token = sim.Tokens.Mint(new TokenClaims(ns, name, serviceAccount["metadata"]!["uid"]!.ToString(), audiences,
            DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()), expiry, podName, podUid));

        var answer = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = $"{TokenRequestGroup}/v1",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["creationTimestamp"] = null },
            ["spec"] = new JsonObject
            {
                ["audiences"] = new JsonArray(audiences.Select(x => (JsonNode)x).ToArray()),
                ["expirationSeconds"] = expirationSeconds,
                ["boundObjectRef"] = spec["boundObjectRef"]?.DeepClone(),
            },
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = expiry.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            },
        };
        return Wire.Json(answer, 201);
    }
}

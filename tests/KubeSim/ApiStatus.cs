using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>An API error answered as a meta/v1 Status object, shaped like the real kube-apiserver's.</summary>
public sealed class ApiError : Exception
{
    public ApiError(int code, string reason, string message, JsonObject? details = null, int? retryAfterSeconds = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
        RetryAfterSeconds = retryAfterSeconds;
    }

    public int Code { get; }
    public string Reason { get; }
    public JsonObject? Details { get; }
    public int? RetryAfterSeconds { get; }

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Details is not null) status["details"] = Details.DeepClone();
        status["code"] = Code;
        return status;
    }

    /// <summary>"pods" for the core group, "leases.coordination.k8s.io" otherwise, as the apiserver names resources in messages.</summary>
    public static string Qualified(string resource, string group) => group.Length == 0 ? resource : $"{resource}.{group}";

    private static JsonObject NameDetails(string name, string resource, string group)
    {
        var d = new JsonObject { ["name"] = name };
        if (group.Length > 0) d["group"] = group;
        d["kind"] = resource;
        return d;
    }

    public static ApiError NotFound(string resource, string name, string group = "") =>
        new(404, "NotFound", $"{Qualified(resource, group)} \"{name}\" not found", NameDetails(name, resource, group));

    public static ApiError AlreadyExists(string resource, string name, string group = "") =>
        new(409, "AlreadyExists", $"{Qualified(resource, group)} \"{name}\" already exists", NameDetails(name, resource, group));

    public static ApiError Conflict(string resource, string name, string group = "") =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            NameDetails(name, resource, group));

    public static ApiError Invalid(string kind, string name, string group, params (string Field, string Reason, string Message)[] causes)
    {
        var list = new JsonArray();
        foreach (var (field, reason, text) in causes)
            list.Add(new JsonObject { ["reason"] = reason, ["message"] = text, ["field"] = field });
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0) details["group"] = group;
        details["kind"] = kind;
        details["causes"] = list;
        var joined = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
        var what = group.Length == 0 ? kind : $"{kind}.{group}";
        var message = causes.Length == 1 ? $"{what} \"{name}\" is invalid: {joined}" : $"{what} \"{name}\" is invalid: [{joined}]";
        return new(422, "Invalid", message, details);
    }

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got \"{contentType}\")");

    public static ApiError Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiError Forbidden(string user, string verb, string resource, string group, string ns, string? name)
    {
        var subject = name is null ? Qualified(resource, group) : $"{Qualified(resource, group)} \"{name}\"";
        var details = new JsonObject();
        if (name is not null) details["name"] = name;
        if (group.Length > 0) details["group"] = group;
        details["kind"] = resource;
        return new(403, "Forbidden",
            $"{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" in the namespace \"{ns}\"",
            details);
    }

    public static ApiError RouteNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    /// <summary>What the apiserver answers for an injected fault of this HTTP status.</summary>
    public static ApiError ForFault(int code, string path, int? retryAfterSeconds) => code switch
    {
        409 => new(409, "Conflict", $"Operation cannot be fulfilled on {path}: the object has been modified; please apply your changes to the latest version and try again", new JsonObject()),
        429 => new(429, "TooManyRequests", "Too many requests, please try again later.",
            new JsonObject { ["retryAfterSeconds"] = retryAfterSeconds ?? 1 }, retryAfterSeconds ?? 1),
        500 => new(500, "InternalError", "Internal error occurred: injected fault", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = "injected fault" }) }),
        503 => new(503, "ServiceUnavailable", "the server is currently unable to handle the request", null, retryAfterSeconds),
        504 => new(504, "Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request", null),
        _ => new(code, "InternalError", $"injected fault {code}"),
    };
}

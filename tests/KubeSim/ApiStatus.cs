using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>An API error answered as a meta/v1 Status object, shaped like the real kube-apiserver's.</summary>
public sealed class ApiError : Exception
{
    public ApiError(int code, string reason, string message, JsonObject? details = null, int? retryAfterSeconds = null, JsonObject? metadata = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
        RetryAfterSeconds = retryAfterSeconds;
        Metadata = metadata;
    }

    public int Code { get; }
    public string Reason { get; }
    public JsonObject? Details { get; }
    public int? RetryAfterSeconds { get; }
    /// <summary>The Status's list metadata (a 410 for a stale continue token carries a fresh one).</summary>
    public JsonObject? Metadata { get; }

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = Metadata?.DeepClone() ?? new JsonObject(),
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

    public static ApiError Conflict(string resource, string name, string group = "",
        string why = "the object has been modified; please apply your changes to the latest version and try again") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": {why}", NameDetails(name, resource, group));

    /// <summary>A DeleteOptions precondition that does not hold: the storage layer's Conflict.</summary>
    public static ApiError PreconditionFailed(string resource, string name, string group, string field, string wanted, string actual) =>
        Conflict(resource, name, group, $"Precondition failed: {field} in precondition: {wanted}, {field} in object meta: {actual}");

    /// <summary>The watch cache no longer holds the changes after this resourceVersion (sent as a watch ERROR event or a list 410).</summary>
    public static ApiError Expired(string message, JsonObject? metadata = null) => new(410, "Expired", message, null, null, metadata);

    /// <summary>A resourceVersion the server has not reached, after the apiserver's 3 s wait for it.</summary>
    public static ApiError TooLargeResourceVersion(long wanted, long current) =>
        new(504, "Timeout", $"Too large resource version: {wanted}, current: {current}",
            new JsonObject
            {
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
                ["retryAfterSeconds"] = 1,
            }, 1);

    public static ApiError MethodNotAllowed() => new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new JsonObject());

    /// <summary>What a DELETE of a type that does not return the deleted object answers.</summary>
    public static JsonObject Success(string resource, string group, string name, string? uid)
    {
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0) details["group"] = group;
        details["kind"] = resource;
        if (uid is not null) details["uid"] = uid;
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

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

    /// <summary>The authorizer's denial. The subject names the resource without its subresource; the reason names both.</summary>
    public static ApiError Forbidden(string user, string verb, string resource, string subresource, string group, string ns, string? name)
    {
        var subject = string.IsNullOrEmpty(name) ? Qualified(resource, group) : $"{Qualified(resource, group)} \"{name}\"";
        var details = new JsonObject();
        if (!string.IsNullOrEmpty(name)) details["name"] = name;
        if (group.Length > 0) details["group"] = group;
        details["kind"] = resource;
        var what = subresource.Length == 0 ? resource : $"{resource}/{subresource}";
        var scope = ns.Length == 0 ? "at the cluster scope" : $"in the namespace \"{ns}\"";
        return new(403, "Forbidden",
            $"{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{what}\" in API group \"{group}\" {scope}", details);
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

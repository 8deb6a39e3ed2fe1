using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubeSim;

/// <summary>JSON as the apiserver writes it: quotes as \", not \u0022.</summary>
public static class Wire
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A handler that returns its result: without this, a lambda returning Task&lt;IResult&gt; binds as a RequestDelegate and its result is dropped.</summary>
    public static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    public static IResult Json(JsonNode node, int code = 200) => Results.Content(node.ToJsonString(Options), "application/json", null, code);
}

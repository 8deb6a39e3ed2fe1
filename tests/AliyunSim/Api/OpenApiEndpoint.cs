using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using AliyunSim.Services;
using Microsoft.AspNetCore.WebUtilities;

namespace AliyunSim.Api;

/// <summary>
/// The RPC endpoint at "/": parse → authenticate → throttle → ClientToken → faults → apply → answer.
/// One stderr line and one /_sim/requests entry per request, never with a secret.
/// </summary>
public sealed class OpenApiEndpoint(Simulator sim)
{
    sealed record ActionInfo(string Version, string HostId, string Product, bool Mutating, bool ClientToken, bool Anonymous,
        Func<ApiParams, JsonObject> Apply);

    static readonly HashSet<string> CommonParams = new(StringComparer.Ordinal)
    {
        "Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp",
        "Signature", "SecurityToken", "ClientToken", "SignatureType",
    };

    /// <summary>Never recorded or logged: signatures, session tokens and the OIDC bearer token.</summary>
    static readonly HashSet<string> SecretParams = new(StringComparer.Ordinal) { "Signature", "SecurityToken", "OIDCToken", "BearerToken" };

    Dictionary<string, ActionInfo> Actions()
    {
        var c = sim.Cloud;
        string vpc = $"vpc.{sim.World.Region}.aliyuncs.com", ecs = $"ecs.{sim.World.Region}.aliyuncs.com";
        return new(StringComparer.Ordinal)
        {
            ["AllocateEipAddress"] = new("2016-04-28", vpc, "Vpc", true, true, false, c.Allocate),
            ["AssociateEipAddress"] = new("2016-04-28", vpc, "Vpc", true, true, false, c.Associate),
            ["UnassociateEipAddress"] = new("2016-04-28", vpc, "Vpc", true, true, false, c.Unassociate),
            ["ReleaseEipAddress"] = new("2016-04-28", vpc, "Vpc", true, false, false, c.Release),
            ["DescribeEipAddresses"] = new("2016-04-28", vpc, "Vpc", false, false, false, c.Describe),
            ["AddCommonBandwidthPackageIp"] = new("2016-04-28", vpc, "Vpc", true, true, false, c.AddToPackage),
            ["RemoveCommonBandwidthPackageIp"] = new("2016-04-28", vpc, "Vpc", true, true, false, c.RemoveFromPackage),
            ["TagResources"] = new("2016-04-28", vpc, "Vpc", true, false, false, c.TagResources),
            ["DescribeNetworkInterfaces"] = new("2014-05-26", ecs, "Ecs", false, false, false, c.DescribeNetworkInterfaces),
            ["AssumeRoleWithOIDC"] = new("2015-04-01", "sts.aliyuncs.com", "Sts", false, false, true, sim.Sts.AssumeRoleWithOidc),
        };
    }

    Dictionary<string, ActionInfo>? actions;

    public async Task Handle(HttpContext ctx)
    {
        actions ??= Actions();
        var watch = Stopwatch.StartNew();
        var requestId = Ids();
        var seq = sim.Requests.NextSeq();
        var world = sim.WorldLifetime; // a reset ends this world: what is still in flight then belongs to no log
        var request = await Read(ctx);
        var merged = request.MergedParams();
        var action = request.Header("x-acs-action") ?? merged.GetValueOrDefault("Action") ?? "";
        var isV3 = request.Header("x-acs-action") is not null;
        var xml = !isV3 && !string.Equals(merged.GetValueOrDefault("Format"), "JSON", StringComparison.OrdinalIgnoreCase);
        var info = actions.GetValueOrDefault(action);
        var hostId = info?.HostId ?? ctx.Request.Host.Value ?? "";
        string? accessKeyId = null, signatureVersion = null, clientToken = merged.GetValueOrDefault("ClientToken");
        int status = 200;
        string? code = null;
        var dropped = false;

        try
        {
            if (sim.Config.LatencyMs > 0) await Task.Delay(sim.Config.LatencyMs, ctx.RequestAborted);
            if (info is null) throw Errors.ActionNotFound(action);
            var version = request.Header("x-acs-version") ?? merged.GetValueOrDefault("Version");
            if (version is null) throw Errors.Missing("Version");
            if (version != info.Version) throw Errors.InvalidVersion(version);
            (accessKeyId, signatureVersion) = sim.Authenticator.Authenticate(request, info.Anonymous);
            if (sim.Throttle.TryTake(action) is { } retryAfter) throw Errors.Throttled(retryAfter);
            var p = new ApiParams(merged);
            var result = await Execute(ctx, info, action, p, clientToken, world);
            if (result is null) { dropped = true; return; }
            result.Insert(0, "RequestId", requestId);
            if (ctx.RequestAborted.IsCancellationRequested) return; // a stalled call finished after the client gave up
            await Write(ctx, 200, ResponseBody.Render(result, action + "Response", xml), xml, requestId);
        }
        catch (ApiException e)
        {
            status = e.HttpStatus;
            code = e.Code;
            if (ctx.RequestAborted.IsCancellationRequested) return;
            foreach (var (k, v) in e.Headers) ctx.Response.Headers[k] = v;
            var body = new JsonObject
            {
                ["RequestId"] = requestId,
                ["HostId"] = hostId,
                ["Code"] = e.Code,
                ["Message"] = e.Message,
                ["Recommend"] = $"https://api.aliyun.com/troubleshoot?q={Uri.EscapeDataString(e.Code)}&product={info?.Product ?? "Vpc"}&requestId={requestId}",
            };
            await Write(ctx, status, ResponseBody.Render(body, "Error", xml), xml, requestId);
        }
        catch (DroppedException)
        {
            dropped = true;
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested || world.IsCancellationRequested)
        {
            // the client left during latency or an abandonOnDisconnect stall, or a reset ended a stall: nothing happened
            status = 0;
            code = "cancelled";
        }
        finally
        {
            if (dropped) { status = 0; code = "drop"; ctx.Abort(); }
            if (!world.IsCancellationRequested) Record(seq, action, info, accessKeyId, signatureVersion, merged, clientToken, status, code, requestId, ctx.Request.Method,
                watch.ElapsedMilliseconds, clientGone: !dropped && ctx.RequestAborted.IsCancellationRequested);
        }
    }

    sealed class DroppedException : Exception;

    /// <summary>ClientToken idempotency and fault injection around the action's effect. Null = drop the connection.</summary>
    async Task<JsonObject?> Execute(HttpContext ctx, ActionInfo info, string action, ApiParams p, string? clientToken, CancellationToken world)
    {
        var account = sim.World.AccountId;
        var useToken = info.ClientToken && !string.IsNullOrEmpty(clientToken);
        if (useToken)
        {
            if (clientToken!.Length > 64 || clientToken.Any(ch => ch < 0x21 || ch > 0x7e))
                throw Errors.Invalid("ClientToken", "must be at most 64 printable ASCII characters");
            var (outcome, stored) = sim.Idempotency.Begin(account, action, clientToken, Fingerprint(p));
            switch (outcome)
            {
                case IdempotencyStore.Outcome.Mismatch: throw Errors.IdempotentMismatch();
                case IdempotencyStore.Outcome.InFlight: throw Errors.LastTokenProcessing();
                case IdempotencyStore.Outcome.Replay:
                    stored!.Remove("RequestId");
                    return stored;
            }
        }

        var fault = sim.Faults.Fire(action);
        var keepToken = false;
        try
        {
            // A stall models a server that keeps working after the client gave up: the effect still applies when it
            // ends (the ClientToken stays in flight meanwhile). Only a reset of the world, or abandonOnDisconnect, ends it.
            if (fault is not null && fault.LatencyMs + fault.StallMs > 0)
            {
                using var clientOrWorld = fault.AbandonOnDisconnect ? CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, world) : null;
                await Task.Delay(fault.LatencyMs + fault.StallMs, clientOrWorld?.Token ?? world);
            }
            if (fault is not null && !fault.AfterApply) Misbehave(fault);

            var result = info.Apply(p);
            keepToken = true;
            if (useToken) sim.Idempotency.Complete(account, action, clientToken!, result);
            // afterApply: the effect happened (and the token remembers the success), but the answer is lost or an error.
            if (fault is not null && fault.AfterApply) Misbehave(fault);
            return result;
        }
        catch (DroppedException)
        {
            if (keepToken) return null;
            throw;
        }
        finally
        {
            if (useToken && !keepToken) sim.Idempotency.Abandon(account, action, clientToken!);
        }
    }

    static void Misbehave(FaultRule fault)
    {
        if (fault.Drop) throw new DroppedException();
        if (fault.Code is not null)
            throw new ApiException(fault.HttpStatus, fault.Code, fault.Message ?? $"Injected fault {fault.Code}.");
    }

    static string Fingerprint(ApiParams p) =>
        string.Join('&', p.Values.Where(kv => !CommonParams.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));

    static async Task<ReceivedRequest> Read(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
        var body = ms.ToArray();
        var query = ctx.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
        var form = new List<KeyValuePair<string, string>>();
        if (ctx.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true && body.Length > 0)
            form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body))
                .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
        var headers = ctx.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? ""))).ToList();
        return new ReceivedRequest(ctx.Request.Method, query, form, headers, body);
    }

    static async Task Write(HttpContext ctx, int status, string body, bool xml, string requestId)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = xml ? "text/xml;charset=utf-8" : "application/json;charset=utf-8";
        ctx.Response.Headers["x-acs-request-id"] = requestId;
        await ctx.Response.WriteAsync(body);
    }

    void Record(long seq, string action, ActionInfo? info, string? accessKeyId, string? signatureVersion, Dictionary<string, string> merged, string? clientToken,
        int status, string? code, string requestId, string method, long ms, bool clientGone)
    {
        var now = DateTimeOffset.UtcNow;
        var time = now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        // When the request arrived, in Unix milliseconds: scripts/bench.sh times an ADD's first cloud request with it.
        var receivedAtMs = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerMillisecond - ms;
        var paramsJson = new JsonObject();
        foreach (var (k, v) in merged.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (!SecretParams.Contains(k)) paramsJson[k] = v;
        sim.Requests.Add(new JsonObject
        {
            ["seq"] = seq, ["time"] = time, ["receivedAtMs"] = receivedAtMs, ["action"] = action, ["mutating"] = info?.Mutating ?? false,
            ["accessKeyId"] = accessKeyId, ["signatureVersion"] = signatureVersion, ["params"] = paramsJson, ["clientToken"] = clientToken,
            ["httpStatus"] = status, ["code"] = code, ["requestId"] = requestId, ["clientGone"] = clientGone, ["ms"] = ms,
        });
        Console.Error.WriteLine(new JsonObject
        {
            ["time"] = time, ["seq"] = seq, ["method"] = method, ["action"] = action, ["accessKeyId"] = accessKeyId,
            ["httpStatus"] = status, ["code"] = code, ["ms"] = ms, ["requestId"] = requestId,
        }.ToJsonString(AliyunSim.Api.SimJson.Options));
    }

    static string Ids() => Cloud.Ids.RequestId();
}

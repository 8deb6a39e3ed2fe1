using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AliyunSim.Api;
using AliyunSim.Cloud;
using AliyunSim.Services;
using AliyunSim.Signing;
using Microsoft.AspNetCore.Http;

namespace AliyunSim.Tests;

/// <summary>
/// A stalled call is a server that keeps working after the client gave up: the effect still applies when the stall
/// ends, and its ClientToken is in flight meanwhile. Driven through the RPC endpoint in-process (signed V2 requests).
/// </summary>
public class StallTests
{
    readonly World world = World.CreateDefault();
    readonly Simulator sim;
    readonly OpenApiEndpoint endpoint;

    public StallTests()
    {
        sim = new Simulator(world, new SimConfig { AssociateMs = 0, UnassociateMs = 0, ReleaseMs = 0, Throttle = false });
        endpoint = new OpenApiEndpoint(sim);
    }

    /// <summary>A signed AllocateEipAddress; the client hangs up after <paramref name="clientGivesUpMs"/> (null = waits).</summary>
    async Task<(int Status, JsonObject? Body)> Allocate(string clientToken, int? clientGivesUpMs = null)
    {
        var p = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccessKeyId"] = world.AccessKeyId, ["Action"] = "AllocateEipAddress", ["Format"] = "JSON", ["RegionId"] = world.Region,
            ["SignatureMethod"] = "HMAC-SHA1", ["SignatureNonce"] = Guid.NewGuid().ToString("N"), ["SignatureVersion"] = "1.0",
            ["Timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["Version"] = "2016-04-28", ["ClientToken"] = clientToken,
        };
        p["Signature"] = RpcSignatureV2.Sign(world.AccessKeySecret, RpcSignatureV2.StringToSign("GET", p));
        using var hangUp = new CancellationTokenSource();
        var ctx = new DefaultHttpContext { RequestAborted = hangUp.Token };
        ctx.Request.Method = "GET";
        ctx.Request.QueryString = new QueryString("?" + string.Join('&', p.Select(kv => kv.Key + "=" + Rfc3986.Encode(kv.Value))));
        var body = new MemoryStream();
        ctx.Response.Body = body;
        if (clientGivesUpMs is { } ms) hangUp.CancelAfter(ms);
        await endpoint.Handle(ctx);
        if (hangUp.IsCancellationRequested) return (0, null);
        return (ctx.Response.StatusCode, JsonNode.Parse(Encoding.UTF8.GetString(body.ToArray())) as JsonObject);
    }

    JsonNode[] ApiEips(bool history = false) =>
        sim.Cloud.Snapshot(history)["eips"]!.AsArray().Where(e => e!["allocatedBy"]!.GetValue<string>() == "api").Select(e => e!).ToArray();

    JsonNode LastRequest() => sim.Requests.Since(0)["requests"]!.AsArray().Last()!;

    [Fact]
    public async Task A_client_that_gives_up_during_a_stall_does_not_cancel_the_effect_and_the_token_stays_in_flight()
    {
        sim.Faults.Add(new JsonObject { ["action"] = "AllocateEipAddress", ["stallMs"] = 800, ["count"] = 1 });
        var token = Guid.NewGuid().ToString();

        var gaveUp = Allocate(token, clientGivesUpMs: 100);
        await Task.Delay(300);
        var replayDuringStall = await Allocate(token);
        Assert.Equal("LastTokenProcessing", replayDuringStall.Body!["Code"]!.GetValue<string>());
        Assert.Empty(ApiEips()); // not yet: the server is still working

        Assert.Equal(0, (await gaveUp).Status);
        var made = Assert.Single(ApiEips());
        var logged = sim.Requests.Since(0)["requests"]!.AsArray().MinBy(r => r!["seq"]!.GetValue<long>())!; // recorded when it ended
        Assert.True(logged["clientGone"]!.GetValue<bool>());
        Assert.Equal(200, logged["httpStatus"]!.GetValue<int>());

        // The token remembers the success: the retry gets the EIP the abandoned call created.
        var replay = await Allocate(token);
        Assert.Equal(made["allocationId"]!.GetValue<string>(), replay.Body!["AllocationId"]!.GetValue<string>());
        Assert.Single(ApiEips());
    }

    [Fact]
    public async Task AbandonOnDisconnect_keeps_the_old_semantics_nothing_happens_and_the_token_is_free()
    {
        sim.Faults.Add(new JsonObject { ["action"] = "AllocateEipAddress", ["stallMs"] = 800, ["count"] = 1, ["abandonOnDisconnect"] = true });
        var token = Guid.NewGuid().ToString();

        Assert.Equal(0, (await Allocate(token, clientGivesUpMs: 100)).Status);

        Assert.Empty(ApiEips());
        Assert.Equal("cancelled", LastRequest()["code"]!.GetValue<string>());
        var fresh = await Allocate(token);
        Assert.Equal(200, fresh.Status);
        Assert.Single(ApiEips());
    }

    [Fact]
    public async Task A_reset_ends_a_stall_so_its_effect_never_reaches_the_next_world()
    {
        sim.Faults.Add(new JsonObject { ["action"] = "AllocateEipAddress", ["stallMs"] = 800, ["count"] = 1 });
        var stalled = Allocate(Guid.NewGuid().ToString(), clientGivesUpMs: 100);
        await Task.Delay(200);
        sim.Reset();
        await stalled;
        await Task.Delay(800);
        Assert.Empty(ApiEips(history: true));
    }
}

using System.Text.Json.Nodes;
using CriClient;
using Xunit.Abstractions;

namespace ContainerdTests;

/// <summary>Which CNI verbs containerd calls, when, and with what: a recording plugin chained after bridge.</summary>
public sealed class CniVerbTests(ITestOutputHelper output)
{
    [ContainerdFact]
    public async Task Run_calls_ADD_once_stop_and_remove_each_call_DEL_and_nothing_else_is_called()
    {
        await using var node = new TestNode("10.252.3.0/24");
        var recorder = node.Recorder("cni-recorder");
        node.Net.WriteChain(recorder.PluginConfig(podAnnotations: true));
        var cri = await node.StartAsync();
        var ct = node.Ct;

        var uid = Guid.NewGuid().ToString();
        var id = await cri.RunPodSandboxAsync("web-0", "default", uid,
            new Dictionary<string, string> { ["network.alibabacloud.com/pod-with-eip"] = "true" }, ct: ct);
        var netns = await node.Containerd.NetnsPathAsync(id, ct);
        var podIp = await cri.PodIpAsync(id, ct);

        var add = Assert.Single(recorder.Calls());
        Assert.Equal("ADD", add.Command);
        Assert.Equal(id, add.ContainerId);
        Assert.Equal(netns, add.Netns);
        Assert.Equal("eth0", add.IfName);
        Assert.Equal("default", add.Arg("K8S_POD_NAMESPACE"));
        Assert.Equal("web-0", add.Arg("K8S_POD_NAME"));
        Assert.Equal(id, add.Arg("K8S_POD_INFRA_CONTAINER_ID"));
        Assert.Equal(uid, add.Arg("K8S_POD_UID"));
        // The declared capability brings every pod annotation, so a chained plugin needs no API-server call.
        var annotations = add.Config?["runtimeConfig"]?["io.kubernetes.cri.pod-annotations"]?.AsObject();
        Assert.Equal("true", (string?)annotations?["network.alibabacloud.com/pod-with-eip"]);
        // The chained plugin gets bridge's result, whose address is what the kubelet then reports.
        Assert.Equal(podIp + "/24", (string?)add.Config?["prevResult"]?["ips"]?[0]?["address"]);

        await cri.StopPodSandboxAsync(id, ct);
        var afterStop = recorder.Calls().Skip(1).ToList();
        output.WriteLine("after stop: " + string.Join(",", afterStop.Select(c => c.Command)));
        var stopDel = Assert.Single(afterStop);
        Assert.Equal("DEL", stopDel.Command);
        Assert.Equal(netns, stopDel.Netns);
        Assert.NotNull(stopDel.Config?["prevResult"]); // libcni's cached ADD result
        Assert.Equal("true", (string?)stopDel.Config?["runtimeConfig"]?["io.kubernetes.cri.pod-annotations"]?["network.alibabacloud.com/pod-with-eip"]);

        await cri.RemovePodSandboxAsync(id, ct);
        var afterRemove = recorder.Calls().Skip(2).ToList();
        output.WriteLine("after remove: " + string.Join(",", afterRemove.Select(c => c.Command)));
        // containerd 1.6 tears the network down again on remove: the namespace is gone and the cached result with it.
        var removeDel = Assert.Single(afterRemove);
        Assert.Equal("DEL", removeDel.Command);
        Assert.Equal(id, removeDel.ContainerId);
        Assert.Equal("", removeDel.Netns);
        Assert.Null(removeDel.Config?["prevResult"]);

        Assert.DoesNotContain(recorder.Verbs(), v => v is "CHECK" or "GC" or "STATUS" or "VERSION");
    }

    [ContainerdFact]
    public async Task A_failing_chained_ADD_fails_RunPodSandbox_with_the_plugin_message_and_leaves_no_address()
    {
        await using var node = new TestNode("10.252.4.0/24");
        var recorder = node.Recorder("cni-recorder");
        var net = node.Net;
        var failing = Path.Combine(net.BinDir, "cni-fail");
        File.WriteAllText(failing, """
            #!/bin/sh
            cat >/dev/null
            [ "$CNI_COMMAND" = ADD ] || exit 0
            echo '{"cniVersion":"1.0.0","code":11,"msg":"no EIP for you","details":"simulated"}'
            exit 1
            """.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(failing, (UnixFileMode)0b111_101_101);
        net.WriteChain(recorder.PluginConfig(), new JsonObject { ["type"] = "cni-fail" });
        var cri = await node.StartAsync();
        var ct = node.Ct;

        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
            cri.RunPodSandboxAsync("web-0", "default", Guid.NewGuid().ToString(), ct: ct));
        output.WriteLine(error.Status.Detail);
        Assert.Contains("no EIP for you", error.Status.Detail);

        // containerd rolls the failed ADD back with DEL on the whole chain, then forgets the sandbox.
        var verbs = recorder.Verbs();
        output.WriteLine("recorder saw: " + string.Join(",", verbs));
        Assert.Equal("ADD", verbs[0]);
        Assert.Contains("DEL", verbs);
        Assert.Empty(net.Reservations());
        Assert.Empty(await cri.ListPodSandboxAsync(ct: ct));
    }

    [ContainerdFact]
    public async Task A_failing_DEL_fails_StopPodSandbox_until_it_succeeds_but_a_not_found_error_counts_as_success_and_leaks_the_rest()
    {
        await using var node = new TestNode("10.252.12.0/24");
        var recorder = node.Recorder("cni-recorder");
        var net = node.Net;
        var delError = Path.Combine(net.Dir, "del-error"); // while it exists, DEL fails with its text as the message
        var flaky = Path.Combine(net.BinDir, "cni-flaky-del");
        File.WriteAllText(flaky, $$"""
            #!/bin/sh
            input=$(cat)
            case "$CNI_COMMAND" in
              ADD) printf '%s' "$input" | jq -c '.prevResult' ;;
              DEL) if [ -f '{{delError}}' ]; then
                     jq -nc --arg msg "$(cat '{{delError}}')" '{cniVersion: "1.0.0", code: 11, msg: $msg}'; exit 1
                   fi ;;
            esac
            """.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(flaky, (UnixFileMode)0b111_101_101);
        net.WriteChain(recorder.PluginConfig(), new JsonObject { ["type"] = "cni-flaky-del" });
        var cri = await node.StartAsync();
        var ct = node.Ct;

        var id = await cri.RunPodSandboxAsync("web-0", "default", Guid.NewGuid().ToString(), ct: ct);
        File.WriteAllText(delError, "EIP unbind pending");
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => cri.StopPodSandboxAsync(id, ct));
        output.WriteLine("StopPodSandbox: " + error.Status.Detail);
        Assert.Contains("EIP unbind pending", error.Status.Detail);
        Assert.NotEmpty(net.Reservations()); // DEL runs the chain in reverse: ours failed first, bridge and host-local were never asked
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => cri.RemovePodSandboxAsync(id, ct));

        File.Delete(delError); // the kubelet retries; now DEL succeeds
        await cri.StopPodSandboxAsync(id, ct);
        await cri.RemovePodSandboxAsync(id, ct);
        Assert.Empty(net.Reservations());

        // containerd takes a DEL error whose message says "not found" for success: the sandbox goes, but the plugins
        // before the failing one never get their DEL, so host-local's address stays reserved for good.
        var second = await cri.RunPodSandboxAsync("web-1", "default", Guid.NewGuid().ToString(), ct: ct);
        var ip = await cri.PodIpAsync(second, ct);
        File.WriteAllText(delError, "attachment not found");
        await cri.StopPodSandboxAsync(second, ct);
        await cri.RemovePodSandboxAsync(second, ct);
        Assert.Empty(await cri.ListPodSandboxAsync(ct: ct));
        Assert.Equal(second, net.Reservations()[ip]);
    }
}

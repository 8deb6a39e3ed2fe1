using System.Text.Json;
using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Cni;

/// <summary>(env + stdin) → (stdout + exit code) against the published native binary: the happy paths of every verb.</summary>
public class GoldenTests
{
    [Theory]
    [InlineData("0.3.1", "prev-0.3.1.json")]
    [InlineData("0.4.0", "prev-0.4.0.json")]
    [InlineData("1.0.0", "prev-1.0.0.json")]
    [InlineData("1.1.0", "prev-1.1.0.json")]
    [InlineData("1.0.0", "prev-terway.json")] // Terway: no sandbox, older result version than the config
    [InlineData("0.3.0", "prev-0.3.1.json")]
    public void Add_passes_prevResult_through_with_the_config_version(string version, string prevFile)
    {
        using var world = new PluginWorld();
        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), world.Config(version, prevFile).ToJsonString());

        Assert.Equal(0, r.ExitCode);
        var expected = PluginWorld.Golden(prevFile).AsObject();
        expected["cniVersion"] = version;
        using var actual = NativePlugin.ParseSingle(r.Stdout);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(r.Stdout)), $"stdout differs from prevResult:\n{r.Stdout}");
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Add_with_feature_on_and_a_pod_not_asking_passes_through()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true","allow_eip_rob":false}""");
        var conf = world.Config();
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["app"] = "web", ["k8s.aliyun.com/pod-with-eip"] = "false" } };
        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), conf.ToJsonString());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("1.0.0", JsonNode.Parse(r.Stdout)!["cniVersion"]!.GetValue<string>());
        var line = Assert.Single(world.LogLines());
        Assert.Contains("\"command\":\"ADD\"", line);
    }

    [Fact]
    public void A_prevResult_of_ten_thousand_IPs_passes_through_quickly()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var conf = world.Config();
        var ips = new JsonArray();
        for (var i = 0; i < 10_000; i++) ips.Add(new JsonObject { ["address"] = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}/8", ["interface"] = 0 });
        ips.Add(new JsonObject { ["address"] = "10.250.0.7/24", ["interface"] = 1, ["gateway"] = "10.250.0.1" });
        conf["prevResult"]!["ips"] = ips;
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["app"] = "web" } };

        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), conf.ToJsonString());

        Assert.True(r.ExitCode == 0, r.Stdout);
        Assert.Equal(10_001, JsonNode.Parse(r.Stdout)!["ips"]!.AsArray().Count);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(1), $"took {r.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void Version_echoes_the_callers_version_and_lists_supported_ones()
    {
        var r = NativePlugin.Invoke(new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" }, """{"cniVersion":"1.0.0"}""");
        Assert.Equal(0, r.ExitCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"""), JsonNode.Parse(r.Stdout)));

        var empty = NativePlugin.Invoke(new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" }, "");
        Assert.Equal("1.1.0", JsonNode.Parse(empty.Stdout)!["cniVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Version_probe_as_libcni_sends_it()
    {
        // libcni sets NETNS, IFNAME and PATH to "dummy" for old skels.
        var env = new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION", ["CNI_NETNS"] = "dummy", ["CNI_IFNAME"] = "dummy", ["CNI_PATH"] = "dummy" };
        var r = NativePlugin.Invoke(env, """{"cniVersion":"0.4.0"}""");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("0.4.0", JsonNode.Parse(r.Stdout)!["cniVersion"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/var/run/netns/test", true)]
    [InlineData("", true)]        // containerd after a reboot: the netns is gone
    [InlineData("", false)]       // libcni dropped an unreadable cached result
    public void Del_succeeds_silently_without_netns_or_prevResult(string netns, bool withPrev)
    {
        using var world = new PluginWorld();
        var r = NativePlugin.Invoke(NativePlugin.Env("DEL", netns: netns), world.Config(prevResultFile: withPrev ? "prev-1.0.0.json" : null).ToJsonString());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Del_twice_succeeds()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":true}""");
        for (var i = 0; i < 2; i++)
        {
            var r = NativePlugin.Invoke(NativePlugin.Env("DEL"), world.Config().ToJsonString());
            Assert.Equal(0, r.ExitCode);
        }
    }

    [Fact]
    public void Check_with_prevResult_succeeds_silently()
    {
        using var world = new PluginWorld();
        var r = NativePlugin.Invoke(NativePlugin.Env("CHECK"), world.Config("1.0.0").ToJsonString());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("""[{"containerID":"c0ffee","ifname":"eth0"}]""", "cni.dev/valid-attachments")]
    [InlineData("""[]""", "cni.dev/attachments")]
    [InlineData(null, null)]
    public void Gc_accepts_both_keys_and_an_absent_list(string? list, string? key)
    {
        using var world = new PluginWorld();
        var conf = world.Config("1.1.0", prevResultFile: null);
        if (key is not null) conf[key] = JsonNode.Parse(list!);
        var r = NativePlugin.Invoke(NativePlugin.Env("GC", containerId: "", netns: "", ifName: ""), conf.ToJsonString());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Status_is_ready_with_the_feature_off_and_on()
    {
        using var world = new PluginWorld();
        var env = NativePlugin.Env("STATUS", containerId: "", netns: "", ifName: "");
        Assert.Equal(0, NativePlugin.Invoke(env, world.Config("1.1.0", null).ToJsonString()).ExitCode);
        world.WithEniConf("""{"enable_eip_pool":"true"}""").WithKubeconfig();
        var on = NativePlugin.Invoke(env, world.Config("1.1.0", null).ToJsonString());
        Assert.Equal(0, on.ExitCode);
        Assert.True(Directory.Exists(world.StateDir));
    }

    [Fact]
    public void Status_with_the_feature_on_checks_what_add_needs_first_an_unloadable_kubeconfig_is_not_ready()
    {
        // ADD would fail with 7 on this node before any cloud call; STATUS says so first (same check, same words).
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var conf = world.Config("1.1.0", null);
        conf["kubeconfig"] = Path.Combine(world.Dir, "no-such-kubeconfig");
        var r = NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), conf.ToJsonString());
        NativePlugin.AssertError(r, 50, "kubeconfig");

        world.WithKubeconfig();
        File.WriteAllText(world.KubeconfigPath, "{not yaml: [");
        r = NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), world.Config("1.1.0", null).ToJsonString());
        NativePlugin.AssertError(r, 50, "kubeconfig");
    }

    [Fact]
    public void Status_with_the_feature_on_and_no_agent_next_to_eip_cni_is_not_ready()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""").WithKubeconfig();
        var bin = Path.Combine(world.Dir, "bin");
        Directory.CreateDirectory(bin);
        File.Copy(Repo.PluginBinary, Path.Combine(bin, "eip-cni"));
        var r = NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), System.Text.Encoding.UTF8.GetBytes(world.Config("1.1.0", null).ToJsonString()), binary: Path.Combine(bin, "eip-cni"));
        NativePlugin.AssertError(r, 50, "eip-cni-agent is missing");
    }

    [Fact]
    public void Status_fails_with_50_when_the_state_dir_cannot_be_written()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        File.WriteAllText(Path.Combine(world.Dir, "blocker"), "a file where a directory should be");
        var conf = world.Config("1.1.0", null);
        conf["stateDir"] = Path.Combine(world.Dir, "blocker", "state");
        var r = NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), conf.ToJsonString());
        NativePlugin.AssertError(r, 50, "state directory");
    }

    [Fact]
    public void Status_fails_with_50_without_a_cluster_id_when_the_feature_is_on()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var conf = world.Config("1.1.0", null);
        conf.Remove("clusterId");
        NativePlugin.AssertError(NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), conf.ToJsonString()), 50, "clusterId");
    }

    [Fact]
    public void Status_fails_with_50_on_a_broken_eni_conf()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"yes"}""");
        NativePlugin.AssertError(NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), world.Config("1.1.0", null).ToJsonString()), 50, "enable_eip_pool", "yes");
    }

    [Fact]
    public void Secrets_in_eni_conf_never_reach_stdout_or_the_log()
    {
        const string secret = "S3cr3t-Do-Not-Print-0123456789";
        using var world = new PluginWorld().WithEniConf($$"""{"enable_eip_pool":"maybe","access_key":"LTAIkey","access_secret":"{{secret}}"}""");
        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), world.Config().ToJsonString());
        NativePlugin.AssertError(r, 7, "enable_eip_pool", "maybe");
        using var world2 = new PluginWorld().WithEniConf($$$"""{"enable_eip_pool":true,"access_key":"LTAIkey","access_secret":{"v":"{{{secret}}}"}}""");
        var r2 = NativePlugin.Invoke(NativePlugin.Env("ADD"), world2.Config().ToJsonString());
        NativePlugin.AssertError(r2, 7, "access_secret");
        foreach (var text in new[] { r.Stdout, r.Stderr, r2.Stdout, r2.Stderr, string.Join("\n", world.LogLines()), string.Join("\n", world2.LogLines()) })
            Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public void Every_invocation_writes_one_json_log_line_and_nothing_to_stdout_but_the_result()
    {
        using var world = new PluginWorld();
        NativePlugin.Invoke(NativePlugin.Env("ADD"), world.Config().ToJsonString());
        NativePlugin.Invoke(NativePlugin.Env("DEL"), world.Config().ToJsonString());
        var bad = world.Config();
        bad["addTimeoutSeconds"] = "soon";
        NativePlugin.Invoke(NativePlugin.Env("ADD"), bad.ToJsonString());
        var lines = world.LogLines();
        Assert.Equal(3, lines.Length);
        foreach (var l in lines)
        {
            using var doc = JsonDocument.Parse(l);
            Assert.True(doc.RootElement.TryGetProperty("ms", out _));
        }
        Assert.Contains("\"level\":\"error\"", lines[2]);
        Assert.Contains("addTimeoutSeconds", lines[2]);
    }

    [Fact]
    public void Without_cni_command_the_binary_is_a_command_line_tool()
    {
        var version = ProcessRunner.Run(Repo.PluginBinary, ["version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^eip-cni \d+\.\d+\.\d+(\+[0-9a-f]+)?\n", version.Stdout);
        Assert.Contains("0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0", version.Stdout);
        // One version, from the build: `version` and `--version` agree.
        var dashed = ProcessRunner.Run(Repo.PluginBinary, ["--version"]);
        Assert.Equal(0, dashed.ExitCode);
        Assert.Equal(version.Stdout.Split('\n')[0]["eip-cni ".Length..], dashed.Stdout.Trim());

        // `help` and no arguments at all show the help and succeed.
        foreach (var args in new[] { new[] { "help" }, Array.Empty<string>() })
        {
            var shown = ProcessRunner.Run(Repo.PluginBinary, args);
            Assert.True(shown.ExitCode == 0, $"eip-cni {string.Join(' ', args)}: {shown.Stdout}{shown.Stderr}");
            Assert.Contains("eip-cni [command] [options]", shown.Stdout);
            Assert.Equal("", shown.Stderr);
        }

        var help = ProcessRunner.Run(Repo.PluginBinary, ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("eip-cni [command] [options]", help.Stdout);
        Assert.Contains("version", help.Stdout);

        var bogus = ProcessRunner.Run(Repo.PluginBinary, ["no-such-command"]);
        Assert.NotEqual(0, bogus.ExitCode);
        Assert.Contains("no-such-command", bogus.Stderr);
    }

    [Theory]
    [InlineData(null, 5, "eip-cni-agent is missing")]
    [InlineData("#!/bin/sh\nkill -9 $$\n", 11, "ended without an answer")]
    public void A_call_with_eip_work_and_no_usable_engine_still_gets_one_cni_error(string? engineScript, int code, string says)
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var bin = Path.Combine(world.Dir, "bin");
        Directory.CreateDirectory(bin);
        File.Copy(Repo.PluginBinary, Path.Combine(bin, "eip-cni"));
        if (engineScript is not null)
        {
            File.WriteAllText(Path.Combine(bin, "eip-cni-agent"), engineScript);
            File.SetUnixFileMode(Path.Combine(bin, "eip-cni-agent"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var conf = world.Config();
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["k8s.aliyun.com/pod-with-eip"] = "true" } };
        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), System.Text.Encoding.UTF8.GetBytes(conf.ToJsonString()), binary: Path.Combine(bin, "eip-cni"));
        NativePlugin.AssertError(r, code, says);

        // A pod without an EIP never needs the engine at all.
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["app"] = "web" } };
        Assert.Equal(0, NativePlugin.Invoke(NativePlugin.Env("ADD"), System.Text.Encoding.UTF8.GetBytes(conf.ToJsonString()), binary: Path.Combine(bin, "eip-cni")).ExitCode);
    }
}

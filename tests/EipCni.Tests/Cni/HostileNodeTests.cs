using System.Diagnostics;
using System.Text.Json.Nodes;
using EipCni.State;
using EipCni.Tests.Support;

namespace EipCni.Tests.Cni;

/// <summary>
/// The published binaries on a node where someone else planted files, wrote odd config files or passed a hostile pod
/// identity: every call refuses with a clear error, or goes on without using what it cannot trust; none hangs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class HostileNodeTests
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    private static JsonObject AsksForEip(JsonObject conf)
    {
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["k8s.aliyun.com/pod-with-eip"] = "true" } };
        conf["addTimeoutSeconds"] = 5;
        conf["delTimeoutSeconds"] = 2;
        return conf;
    }

    private static JsonObject NotAsking(JsonObject conf)
    {
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["app"] = "web" } };
        return conf;
    }

    private static void MakeFifo(string path) => Assert.Equal(0, ProcessRunner.Run("mkfifo", [path]).ExitCode);

    private static string PlantStateDir(PluginWorld world, string how)
    {
        switch (how)
        {
            case "0777":
                Directory.CreateDirectory(world.StateDir);
                File.SetUnixFileMode(world.StateDir, (UnixFileMode)Convert.ToInt32("777", 8));
                return "mode 0777";
            case "nobody":
                Directory.CreateDirectory(world.StateDir, Private);
                Nobody.Owns(world.StateDir);
                return "owned by uid 65534";
            default:
                Directory.CreateDirectory(world.StateDir + ".real", Private);
                Directory.CreateSymbolicLink(world.StateDir, world.StateDir + ".real");
                return "symbolic link";
        }
    }

    // ---- item: planted state dir, records and log files ----

    [Theory]
    [InlineData("0777")]
    [InlineData("nobody")]
    [InlineData("symlink")]
    public void Status_is_not_ready_on_a_state_dir_others_could_write(string how)
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var problem = PlantStateDir(world, how);

        var r = NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), world.Config("1.1.0", null).ToJsonString());

        NativePlugin.AssertError(r, 50, "refusing the state directory " + world.StateDir, problem, "0700");
    }

    [Fact]
    public void A_state_dir_an_earlier_version_created_0755_is_ready_and_tightened_by_the_engine()
    {
        // STATUS of earlier versions created it with the default mode: nobody else could write to it.
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""").WithKubeconfig();
        Directory.CreateDirectory(world.StateDir);
        File.SetUnixFileMode(world.StateDir, (UnixFileMode)Convert.ToInt32("755", 8));

        var status = NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), world.Config("1.1.0", null).ToJsonString());
        Assert.True(status.ExitCode == 0, status.Stdout);

        // The engine's first use (here a DEL of a corrupt record, which needs no cloud) makes it 0700.
        Directory.CreateDirectory(Path.Combine(world.StateDir, "networks", "terway"), Private);
        File.WriteAllText(Path.Combine(world.StateDir, "networks", "terway", "c0ffee@eth0.json"), "{");
        var del = NativePlugin.Invoke(NativePlugin.Env("DEL"), world.Config().ToJsonString(), Prompt);
        Assert.True(del.ExitCode == 0, del.Stdout);
        Assert.Equal(Private, File.GetUnixFileMode(world.StateDir));
    }

    [Fact]
    public void Status_is_not_ready_when_a_subdirectory_is_a_link()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        PrivateFiles.EnsureDirectory(world.StateDir);
        Directory.CreateDirectory(world.Dir + "/creds", Private);
        Directory.CreateSymbolicLink(Path.Combine(world.StateDir, "credentials"), world.Dir + "/creds");

        var r = NativePlugin.Invoke(NativePlugin.Env("STATUS", "", "", ""), world.Config("1.1.0", null).ToJsonString());

        NativePlugin.AssertError(r, 50, Path.Combine(world.StateDir, "credentials"), "symbolic link");
    }

    [Theory]
    [InlineData("0777")]
    [InlineData("nobody")]
    [InlineData("networks-symlink")]
    public void A_record_in_a_journal_others_could_write_fails_del_with_5_before_any_work(string how)
    {
        using var world = new PluginWorld();
        string problem, dir;
        if (how == "networks-symlink")
        {
            PrivateFiles.EnsureDirectory(world.StateDir, "networks");
            dir = Path.Combine(world.StateDir, "networks", "terway");
            var real = PrivateFiles.EnsureDirectory(world.StateDir, "elsewhere");
            Directory.CreateSymbolicLink(dir, real);
            problem = "symbolic link";
        }
        else
        {
            problem = PlantStateDir(world, how);
            dir = world.StateDir;
            Directory.CreateDirectory(Path.Combine(world.StateDir, "networks", "terway"));
        }
        File.WriteAllText(Path.Combine(world.StateDir, "networks", "terway", "c0ffee@eth0.json"),
            """{"network":"terway","containerId":"c0ffee","ifName":"eth0","clusterId":"c1234","origin":"Automatic","phase":"Releasing","allocationId":"eip-planted","unbound":true}""");

        var r = NativePlugin.Invoke(NativePlugin.Env("DEL"), AsksForEip(world.Config()).ToJsonString(), Prompt);

        NativePlugin.AssertError(r, 5, "refusing the state directory " + dir, problem);
    }

    [Theory]
    [InlineData("fifo", "not a regular file")]
    [InlineData("hardlink", "other hard links")]
    [InlineData("nobody", "owned by uid 65534")]
    public void A_planted_log_file_is_not_written_and_the_call_goes_on(string how, string problem)
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var victim = Path.Combine(world.Dir, "victim");
        File.WriteAllText(victim, "precious\n");
        switch (how)
        {
            case "fifo": MakeFifo(world.LogFile); break;
            case "hardlink": Assert.Equal(0, ProcessRunner.Run("ln", [victim, world.LogFile]).ExitCode); break;
            default: File.WriteAllText(world.LogFile, ""); Nobody.Owns(world.LogFile); break;
        }

        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), NotAsking(world.Config()).ToJsonString(), Prompt);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Contains($"cannot write log {world.LogFile}: it ", r.Stderr);
        Assert.Contains(problem, r.Stderr);
        if (how == "nobody") Assert.Equal("", File.ReadAllText(world.LogFile));
    }

    // ---- item: quarantined journal records ----

    private static string PlantCorruptRecord(PluginWorld world)
    {
        var path = Path.Combine(PrivateFiles.EnsureDirectory(world.StateDir, "networks", "terway"), "c0ffee@eth0.json");
        File.WriteAllText(path, """{"network":"terway","containerId":"c0ffee","ifNa""");
        return path;
    }

    [Fact]
    public void Check_of_an_attachment_whose_record_is_corrupt_names_the_quarantined_file()
    {
        using var world = new PluginWorld();
        var record = PlantCorruptRecord(world);

        var r = NativePlugin.Invoke(NativePlugin.Env("CHECK"), world.Config().ToJsonString(), Prompt);

        NativePlugin.AssertError(r, 108, "could not be read", record + ".corrupt-");
        Assert.False(File.Exists(record));
        Assert.Contains(world.LogLines(), l => l.Contains("\"level\":\"error\"") && l.Contains("moved aside") && l.Contains(record));
        // Still refused on the next CHECK of a pod that asks: its EIP cannot be vouched for until a new ADD records it.
        world.WithEniConf("""{"enable_eip_pool":"true"}""");
        NativePlugin.AssertError(NativePlugin.Invoke(NativePlugin.Env("CHECK"), AsksForEip(world.Config()).ToJsonString(), Prompt), 108, record + ".corrupt-");
    }

    [Fact]
    public void Del_of_an_attachment_whose_record_is_corrupt_succeeds_even_with_a_broken_eni_conf()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"yes"}""");
        var record = PlantCorruptRecord(world);

        var r = NativePlugin.Invoke(NativePlugin.Env("DEL"), world.Config().ToJsonString(), Prompt);

        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(record)!, "c0ffee@eth0.json.corrupt-*"));
        Assert.Contains(world.LogLines(), l => l.Contains("\"level\":\"error\"") && l.Contains("moved aside"));
    }

    // ---- item: files named in the config ----

    [Theory]
    [InlineData("fifo", "is a FIFO; eip-cni reads only regular files")]
    [InlineData("device", "/dev/zero is a character device")]
    [InlineData("directory", "is a directory")]
    [InlineData("huge", "is larger than the limit of 262144 bytes (256 KiB)")]
    public void An_eni_conf_that_is_not_a_small_regular_file_is_error_7_at_once(string how, string problem)
    {
        using var world = new PluginWorld();
        var conf = NotAsking(world.Config());
        switch (how)
        {
            case "fifo": MakeFifo(world.EniConfPath); break;
            case "device": conf["eniConfPath"] = "/dev/zero"; break;
            case "directory": Directory.CreateDirectory(world.EniConfPath); break;
            default:
                using (var f = File.Create(world.EniConfPath)) f.SetLength(300L << 20); // sparse: no disk, 300 MB to read
                break;
        }

        var r = RunMeasured(NativePlugin.Env("ADD"), conf.ToJsonString(), out var peakKb);

        NativePlugin.AssertError(r, 7, problem);
        Assert.True(peakKb < 64 * 1024, $"peak RSS {peakKb} KB");
    }

    /// <summary>Runs the plugin under /usr/bin/time for its peak RSS; within 15 s or the test fails.</summary>
    private static ProcessResult RunMeasured(Dictionary<string, string> env, string stdin, out long peakKb)
    {
        var rss = Path.Combine(Path.GetTempPath(), "eipcni-rss-" + Guid.NewGuid().ToString("N"));
        try
        {
            var full = new Dictionary<string, string>(env) { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" };
            var r = ProcessRunner.Run("/usr/bin/time", ["-f", "%M", "-o", rss, Repo.PluginBinary], full, System.Text.Encoding.UTF8.GetBytes(stdin), Prompt, inheritEnv: false);
            peakKb = long.Parse(File.ReadAllLines(rss).Last(l => l.Length > 0));
            return r;
        }
        finally
        {
            File.Delete(rss);
        }
    }

    // ---- item: a malformed eni_conf and DEL ----

    [Fact]
    public void Del_without_a_record_succeeds_whatever_eni_conf_says()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"yes","cluster_id":""" + "\n");
        var r = NativePlugin.Invoke(NativePlugin.Env("DEL"), world.Config().ToJsonString());
        Assert.True(r.ExitCode == 0, r.Stdout);
        Assert.Equal("", r.Stdout);
    }

    // ---- item: env failures are logged where the config says ----

    [Fact]
    public void An_env_failure_is_logged_to_the_configured_log_file()
    {
        using var world = new PluginWorld();
        var env = NativePlugin.Env("ADD");
        env.Remove("CNI_CONTAINERID");

        var r = NativePlugin.Invoke(env, world.Config().ToJsonString());

        NativePlugin.AssertError(r, 4, "CNI_CONTAINERID");
        var line = Assert.Single(world.LogLines());
        Assert.Contains("\"code\":4", line);
        Assert.Contains("CNI_CONTAINERID", line);
    }

    // ---- item: pod identity ----

    [Theory]
    [InlineData("K8S_POD_NAME", "..")]
    [InlineData("K8S_POD_NAME", "web-0/status")]
    [InlineData("K8S_POD_NAMESPACE", "..")]
    [InlineData("K8S_POD_UID", "../x")]
    public void A_pod_asking_for_an_eip_with_an_invalid_identity_is_error_4_before_any_call(string key, string value)
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var env = WithArg(NativePlugin.Env("ADD"), key, value);

        var r = NativePlugin.Invoke(env, AsksForEip(world.Config()).ToJsonString(), Prompt);

        NativePlugin.AssertError(r, 4, $"invalid {key} in CNI_ARGS", $"{key} \"{value}\" is not a valid");
    }

    [Fact]
    public void Without_annotations_an_invalid_namespace_is_error_4_not_an_api_call()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var env = WithArg(NativePlugin.Env("ADD"), "K8S_POD_NAMESPACE", "..");

        var r = NativePlugin.Invoke(env, world.Config().ToJsonString(), Prompt);

        NativePlugin.AssertError(r, 4, "invalid K8S_POD_NAMESPACE");
    }

    [Fact]
    public void A_pod_not_asking_passes_through_whatever_its_identity()
    {
        using var world = new PluginWorld().WithEniConf("""{"enable_eip_pool":"true"}""");
        var env = WithArg(NativePlugin.Env("ADD"), "K8S_POD_NAME", "..");

        var r = NativePlugin.Invoke(env, NotAsking(world.Config()).ToJsonString());

        Assert.True(r.ExitCode == 0, r.Stdout);
        Assert.DoesNotContain("..", Assert.Single(world.LogLines()));
    }

    private static Dictionary<string, string> WithArg(Dictionary<string, string> env, string key, string value)
    {
        var args = env["CNI_ARGS"].Split(';').Where(p => !p.StartsWith(key + "=", StringComparison.Ordinal)).Append($"{key}={value}");
        env["CNI_ARGS"] = string.Join(";", args);
        return env;
    }

    // ---- item: the engine is not dumpable ----

    [Fact]
    public void The_engine_is_not_dumpable_so_its_proc_files_stay_roots()
    {
        // Run as nobody, the engine's /proc/PID files belong to nobody while it is dumpable; once it is not, to root.
        var engine = Path.Combine(Path.GetDirectoryName(Repo.PluginBinary)!, "eip-cni-agent");
        var psi = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", engine])
        {
            RedirectStandardInput = true, // left open: the engine waits for its stdin, holding nothing yet
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        psi.Environment.Clear();
        foreach (var (k, v) in NativePlugin.Env("ADD")) psi.Environment[k] = v;
        using var child = Process.Start(psi)!;
        try
        {
            // setpriv runs as root, then as nobody (not dumpable after setresuid), then execs the engine (dumpable again
            // until the engine says otherwise): only the engine's own /proc files tell.
            var owner = uint.MaxValue;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(10) && !child.HasExited)
            {
                if (Comm(child.Id) == "eip-cni-agent" && EipCni.Libc.lstat($"/proc/{child.Id}/environ", out var st) == 0)
                {
                    owner = (uint)st.st_uid;
                    if (owner == 0) break;
                }
                Thread.Sleep(20);
            }
            if (child.HasExited) Assert.Fail($"the engine exited ({child.ExitCode}): {child.StandardOutput.ReadToEnd()} {child.StandardError.ReadToEnd()}");
            Assert.Equal(0u, owner);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    private static string Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }
}

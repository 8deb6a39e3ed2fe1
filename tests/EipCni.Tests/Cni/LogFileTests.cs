using System.Text.Json;
using System.Text.Json.Nodes;
using EipCni.Tests.Support;

namespace EipCni.Tests.Cni;

/// <summary>The log file as the published binary writes it: shared by every plugin process on the node.</summary>
public class LogFileTests
{
    private static string PassThroughAdd(PluginWorld world)
    {
        world.WithEniConf("""{"enable_eip_pool":"true"}""");
        var conf = world.Config();
        conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { ["app"] = "web" } };
        return conf.ToJsonString();
    }

    [Fact]
    public void Concurrent_processes_append_every_line_whole()
    {
        using var world = new PluginWorld();
        var confFile = Path.Combine(world.Dir, "conf.json");
        File.WriteAllText(confFile, PassThroughAdd(world));
        const int calls = 2000;
        // As a node starting many pods at once: each call is its own process writing one line to the same file. xargs
        // forks them from a small shell, so far more of them overlap than Process.Start from this test host allows.
        var env = NativePlugin.Env("ADD");
        env.Remove("CNI_CONTAINERID");
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        var script = $"seq -w 0 {calls - 1} | xargs -P 64 -I@ sh -c 'CNI_CONTAINERID=ctr-@ \"$0\" < \"$1\" > /dev/null || echo \"ctr-@ failed\"' \"$0\" \"$1\"";
        var r = ProcessRunner.Run("bash", ["-c", script, Repo.PluginBinary, confFile], env, timeout: TimeSpan.FromMinutes(2), inheritEnv: false);
        Assert.True(r.ExitCode == 0 && r.Stdout.Length == 0, $"exit {r.ExitCode}: {r.Stdout} {r.Stderr}");

        AssertEveryLineOnce(world.LogLines(), Enumerable.Range(0, calls).Select(i => $"ctr-{i:D4}"), "containerId");
    }

    /// <summary>Every line is whole JSON and each expected value of <paramref name="key"/> appears exactly once.</summary>
    private static void AssertEveryLineOnce(string[] lines, IEnumerable<string> expected, string key)
    {
        var seen = new List<string>();
        var broken = new List<string>();
        foreach (var line in lines)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                seen.Add(doc.RootElement.GetProperty(key).GetString()!);
            }
            catch (JsonException)
            {
                broken.Add(line); // torn, or partly overwritten by another writer
            }
        }
        var want = expected.ToList();
        var missing = want.Except(seen).Count();
        Assert.True(broken.Count == 0 && missing == 0 && seen.Count == want.Count,
            $"{seen.Count} whole lines for {want.Count} writes; {missing} writes without a line; {broken.Count} broken lines, e.g. {broken.FirstOrDefault()}");
    }

    [Fact]
    public void A_symlinked_log_file_is_not_followed_and_the_call_goes_on()
    {
        using var world = new PluginWorld();
        var stdin = PassThroughAdd(world);
        var target = Path.Combine(world.Dir, "elsewhere");
        File.WriteAllText(target, "precious\n");
        File.CreateSymbolicLink(world.LogFile, target);

        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), stdin);

        Assert.Equal(0, r.ExitCode);
        using var result = NativePlugin.ParseSingle(r.Stdout);
        Assert.Equal("1.0.0", result.RootElement.GetProperty("cniVersion").GetString());
        Assert.Equal("precious\n", File.ReadAllText(target));
        Assert.Contains(world.LogFile, r.Stderr);
        Assert.Contains("symbolic link", r.Stderr);
    }

    [Fact]
    public void A_new_log_file_is_created_0640()
    {
        using var world = new PluginWorld();
        var r = NativePlugin.Invoke(NativePlugin.Env("ADD"), PassThroughAdd(world));
        Assert.Equal(0, r.ExitCode);
        const UnixFileMode mode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        Assert.Equal(mode0640 & ~Umask(), File.GetUnixFileMode(world.LogFile));
        Assert.EndsWith("\n", File.ReadAllText(world.LogFile));
    }

    /// <summary>This process's umask, which the plugin inherits (from /proc/self/status).</summary>
    private static UnixFileMode Umask() =>
        (UnixFileMode)Convert.ToInt32(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Umask:", StringComparison.Ordinal))[6..].Trim(), 8);
}

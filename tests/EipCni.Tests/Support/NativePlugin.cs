using System.Text;
using System.Text.Json;

namespace EipCni.Tests.Support;

/// <summary>Calls the published eip-cni binary the way a runtime does: CNI_* env and the config on stdin.</summary>
public static class NativePlugin
{
    public static ProcessResult Invoke(IDictionary<string, string> env, string stdin, TimeSpan? timeout = null) =>
        Invoke(env, Encoding.UTF8.GetBytes(stdin), timeout);

    public static ProcessResult Invoke(IDictionary<string, string> env, byte[] stdin, TimeSpan? timeout = null, string? binary = null)
    {
        var full = new Dictionary<string, string>(env) { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" };
        return ProcessRunner.Run(binary ?? Repo.PluginBinary, [], full, stdin, timeout ?? TimeSpan.FromSeconds(120), inheritEnv: false);
    }

    /// <summary>
    /// Like <see cref="Invoke(IDictionary{string, string}, string, TimeSpan?)"/>, under GNU time: also the peak RSS in
    /// KiB of eip-cni and of the eip-cni-agent it ran (wait4 reports the largest of a process and its reaped children).
    /// </summary>
    public static (ProcessResult Result, long PeakRssKiB) InvokeMeasured(IDictionary<string, string> env, string stdin, TimeSpan? timeout = null)
    {
        const string time = "/usr/bin/time";
        if (!File.Exists(time)) throw new InvalidOperationException("GNU time is needed to measure peak RSS (Debian package time; scripts/test.sh installs it)");
        var report = Path.Combine(Path.GetTempPath(), $"eipcni-rss-{Guid.NewGuid():N}");
        try
        {
            var full = new Dictionary<string, string>(env) { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" };
            var r = ProcessRunner.Run(time, ["-f", "%M", "-o", report, Repo.PluginBinary], full, Encoding.UTF8.GetBytes(stdin),
                timeout ?? TimeSpan.FromSeconds(120), inheritEnv: false);
            // "Command exited with non-zero status N" comes first when the plugin failed; the figure is the last line.
            var last = File.ReadAllLines(report).Last(l => l.Trim().Length > 0);
            return (r, long.Parse(last.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(report);
        }
    }

    public static Dictionary<string, string> Env(string command, string containerId = "c0ffee", string netns = "/var/run/netns/test", string ifName = "eth0") =>
        new()
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = netns,
            ["CNI_IFNAME"] = ifName,
            ["CNI_PATH"] = "/usr/lib/cni",
            ["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=" + containerId,
        };

    /// <summary>Asserts the CNI error contract: non-zero exit, exactly one JSON object on stdout with the code, no stack trace.</summary>
    public static JsonElement AssertError(ProcessResult r, int code, params string[] msgContains)
    {
        Assert.True(r.ExitCode != 0, $"expected failure, got exit 0 with stdout {r.Stdout}");
        Assert.DoesNotContain("   at ", r.Stdout + r.Stderr);
        Assert.DoesNotContain("Unhandled exception", r.Stdout + r.Stderr);
        using var doc = ParseSingle(r.Stdout);
        var root = doc.RootElement.Clone();
        Assert.Equal(code, root.GetProperty("code").GetInt32());
        var text = root.GetProperty("msg").GetString() + " " + (root.TryGetProperty("details", out var d) ? d.GetString() : "");
        foreach (var s in msgContains) Assert.Contains(s, text);
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("msg").GetString()));
        return root;
    }

    /// <summary>Parses stdout and fails unless it holds exactly one JSON document.</summary>
    public static JsonDocument ParseSingle(string stdout)
    {
        var bytes = Encoding.UTF8.GetBytes(stdout);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        using var first = JsonDocument.ParseValue(ref reader);
        Assert.False(reader.Read(), $"stdout holds more than one JSON document: {stdout}");
        return JsonDocument.Parse(bytes);
    }
}

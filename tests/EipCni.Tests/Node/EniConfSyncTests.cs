using System.Text.Json.Nodes;
using EipCni.Kube;
using EipCni.Node;
using EipCni.Tests.Fakes;
using EipCni.Tests.Kube;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>The eni-config ConfigMap mirrored to the host file, against KubeSim.</summary>
[Collection("kubesim-fast")]
public sealed class EniConfSyncTests : IAsyncLifetime
{
    private const string Valid = """{"enable_eip_pool":"true","cluster_id":"c1234","access_key":"AK","access_secret":"s3cret"}""";
    private const string Disabled = """{"enable_eip_pool":"false"}""";

    private readonly KubeSimFastFixture _sim;
    private readonly TempDir _dir = new("eniconf");
    private readonly CancellationTokenSource _stop = new();
    private readonly RecordingLog _log = new();
    private KubeClient? _client;
    private Task? _running;

    public EniConfSyncTests(KubeSimFastFixture sim) => _sim = sim;

    private string FilePath => _dir.File("etc/eni/eni.json");

    public Task InitializeAsync() => _sim.ResetAsync();

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null) await _running;
        _client?.Dispose();
        _dir.Dispose();
    }

    private async Task StartAsync(TimeSpan? resync = null)
    {
        _client = new KubeClient(EipCni.Kube.Kubeconfig.Load(_sim.Kubeconfig), NullLog.Instance,
            new KubeClientOptions { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200), Component = "eip-cni-agent" });
        var sync = new EniConfSync(_client, new EniConfSyncOptions { Path = FilePath, Resync = resync ?? TimeSpan.FromMinutes(1) }, _log,
            new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(300) });
        _running = sync.RunAsync(_stop.Token);
        await _sim.WaitForWatchesAsync(1, "configmaps");
    }

    private Task CreateAsync(string eniConf) => _sim.ApiAsync("POST", "/api/v1/namespaces/kube-system/configmaps",
        new JsonObject { ["metadata"] = new JsonObject { ["name"] = "eni-config" }, ["data"] = new JsonObject { ["eni_conf"] = eniConf } }.ToJsonString());

    private Task UpdateAsync(string eniConf) => _sim.ApiAsync("PATCH", "/api/v1/namespaces/kube-system/configmaps/eni-config",
        new JsonObject { ["data"] = new JsonObject { ["eni_conf"] = eniConf } }.ToJsonString(), "application/merge-patch+json");

    private Task DeleteAsync() => _sim.ApiAsync("DELETE", "/api/v1/namespaces/kube-system/configmaps/eni-config");

    private string? Content() => File.Exists(FilePath) ? File.ReadAllText(FilePath) : null;

    /// <summary>Generous: the class runs on a busy 2-core machine; a pass never waits this long.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private void WaitForContent(string? expected, string what) => Wait.Until(() => Content() == expected, Deadline, what);

    private int Refusals => _log.Lines.Count(l => l.Message == "eni_conf refused");

    [Fact]
    public async Task Created_the_file_is_written_0600_with_the_value_then_each_update_replaces_it()
    {
        await StartAsync();
        await CreateAsync(Valid);
        WaitForContent(Valid, "the first write");
        var mode = File.GetUnixFileMode(FilePath);

        await UpdateAsync(Disabled);
        WaitForContent(Disabled, "the update");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(FilePath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(FilePath)!, ".*")); // no temp file left behind
        Assert.True(_log.Contains("eni_conf written", LogLevel.Info));
        Assert.DoesNotContain("s3cret", _log.ToString());
    }

    [Fact]
    public async Task A_change_that_leaves_the_value_alone_does_not_touch_the_file()
    {
        await CreateAsync(Valid);
        await StartAsync();
        WaitForContent(Valid, "the first write");
        var before = new FileInfo(FilePath);
        var (mtime, inode) = (before.LastWriteTimeUtc, Inode(FilePath));
        await Task.Delay(50);

        await _sim.ApiAsync("PATCH", "/api/v1/namespaces/kube-system/configmaps/eni-config", """{"metadata":{"labels":{"touched":"yes"}}}""",
            "application/merge-patch+json");
        await UpdateAsync(Valid);
        await _sim.ApiAsync("POST", "/api/v1/namespaces/kube-system/configmaps", """{"metadata":{"name":"unrelated"},"data":{"eni_conf":"{}"}}""");
        await Task.Delay(1000);

        Assert.Equal(mtime, new FileInfo(FilePath).LastWriteTimeUtc);
        Assert.Equal(inode, Inode(FilePath));
        Assert.Single(_log.Lines, l => l.Message == "eni_conf written");
    }

    [Fact]
    public async Task An_invalid_value_keeps_the_old_file_and_warns_once_on_the_ConfigMap()
    {
        await StartAsync();
        await CreateAsync(Valid);
        WaitForContent(Valid, "the first write");

        await UpdateAsync("""{"enable_eip_pool":"maybe"}""");
        Wait.Until(() => Refusals == 1, Deadline, "the refusal");
        // A new version with the same bad value is warned about again. The sync reconciles the latest cached version and
        // coalesces changes that arrive while it is busy, so the next change waits until this version has been refused:
        // otherwise both may be seen as one (the latest), which is what the product should do.
        await _sim.ApiAsync("PATCH", "/api/v1/namespaces/kube-system/configmaps/eni-config", """{"metadata":{"labels":{"x":"y"}}}""",
            "application/merge-patch+json");
        Wait.Until(() => Refusals == 2, Deadline, "the refusal of the relabelled version");
        await UpdateAsync("not json");
        Wait.Until(() => Refusals == 3, Deadline, "the third refusal");
        Wait.Until(() => _sim.EventsAsync().Result.Count == 3, Deadline, "three events");
        var refused = _log.Lines.Where(l => l.Message == "eni_conf refused")
            .Select(l => l.Fields.Single(f => f.Key == "resourceVersion").Value?.ToString()).ToList();
        Assert.Equal(3, refused.Distinct().Count()); // once per version

        Assert.Equal(Valid, Content());
        var events = (await _sim.EventsAsync()).Select(e => e!).ToList();
        Assert.All(events, e =>
        {
            Assert.Equal("Warning", e["type"]!.ToString());
            Assert.Equal(EniConfSync.InvalidReason, e["reason"]!.ToString());
            Assert.Equal("ConfigMap", e["involvedObject"]!["kind"]!.ToString());
            Assert.Equal("eni-config", e["involvedObject"]!["name"]!.ToString());
            Assert.Equal("kube-system", e["metadata"]!["namespace"]!.ToString());
        });
        // The plugin's own words: the flag and its value, then the JSON error.
        Assert.Contains("enable_eip_pool", events[0]["message"]!.ToString());
        Assert.Contains("maybe", events[0]["message"]!.ToString());
        Assert.Contains("keeps its previous content", events[0]["message"]!.ToString());
        Assert.Contains("not valid JSON", events[2]["message"]!.ToString());
    }

    [Theory]
    [InlineData("""{"enable_eip_pool":"maybe"}""", "enable_eip_pool")]
    [InlineData("""["enable_eip_pool"]""", "must be a JSON object")]
    [InlineData("""{"allow_eip_rob":1}""", "allow_eip_rob")]
    [InlineData("""{"access_key":5,"access_secret":"s3cret"}""", "access_key")]
    public void Check_refuses_what_the_plugin_refuses_in_its_words(string value, string expected)
    {
        var problem = EniConfSync.Check(System.Text.Encoding.UTF8.GetBytes(value), "/etc/eni/eni.json");

        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        Assert.DoesNotContain("s3cret", problem);
        var plugin = Assert.Throws<EipCni.Cni.CniException>(() => EipCni.Cni.EniConf.Parse(System.Text.Encoding.UTF8.GetBytes(value), "/etc/eni/eni.json"));
        Assert.StartsWith(plugin.Message, problem);
    }

    [Fact]
    public void Check_accepts_what_the_plugin_accepts_and_refuses_a_value_over_its_file_limit()
    {
        Assert.Null(EniConfSync.Check(System.Text.Encoding.UTF8.GetBytes(Valid), "/etc/eni/eni.json"));
        Assert.Null(EniConfSync.Check(System.Text.Encoding.UTF8.GetBytes("""{"unknown":{"nested":[1,2]}}"""), "/etc/eni/eni.json"));
        var big = System.Text.Encoding.UTF8.GetBytes($$"""{"pad":"{{new string(' ', 256 * 1024)}}"}""");
        Assert.Contains("262144 bytes", EniConfSync.Check(big, "/etc/eni/eni.json"));
    }

    [Fact]
    public async Task Deleted_the_file_is_removed_recreated_it_is_written_again()
    {
        await StartAsync();
        await CreateAsync(Valid);
        WaitForContent(Valid, "the first write");

        await DeleteAsync();
        WaitForContent(null, "the removal");
        // The warning is logged just after the unlink: wait for it too, rather than assert it the moment the file is gone.
        Wait.Until(() => _log.Contains("eni-config ConfigMap is gone: EIP feature off", LogLevel.Warn), Deadline, "the warning");
        await CreateAsync(Disabled);
        WaitForContent(Disabled, "the write after re-creation");
    }

    [Fact]
    public async Task At_start_a_missing_ConfigMap_removes_a_stale_file_and_a_missing_key_counts_as_missing()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllText(FilePath, Valid);
        await StartAsync();
        WaitForContent(null, "the stale file removed");

        await _sim.ApiAsync("POST", "/api/v1/namespaces/kube-system/configmaps", """{"metadata":{"name":"eni-config"},"data":{"other":"x"}}""");
        await UpdateAsync(Valid);
        WaitForContent(Valid, "the key added");
        await _sim.ApiAsync("PUT", "/api/v1/namespaces/kube-system/configmaps/eni-config", """{"metadata":{"name":"eni-config"},"data":{"other":"x"}}""");
        WaitForContent(null, "the key removed");
        Wait.Until(() => _log.Contains("eni-config has no eni_conf key: EIP feature off", LogLevel.Warn), Deadline, "the warning");
    }

    [Fact]
    public async Task An_edit_on_the_host_is_undone_at_the_next_resync()
    {
        await CreateAsync(Valid);
        await StartAsync(resync: TimeSpan.FromMilliseconds(300));
        WaitForContent(Valid, "the first write");

        File.WriteAllText(FilePath, Disabled);
        WaitForContent(Valid, "the restore");
        File.Delete(FilePath);
        WaitForContent(Valid, "the re-creation");
        File.SetUnixFileMode(FilePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Wait.Until(() => File.GetUnixFileMode(FilePath) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), Deadline, "the mode restored");
    }

    private static ulong Inode(string path) => EipCni.Libc.lstat(path, out var st) == 0 ? (ulong)st.st_ino : 0;
}

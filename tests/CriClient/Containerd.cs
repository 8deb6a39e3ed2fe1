using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CriClient.Api;
using Grpc.Core;

namespace CriClient;

/// <summary>
/// A private containerd for one test: its own root, state, socket and config.toml in a temporary directory, the CRI
/// plugin pointed at the test's CNI bin and conf directories and at the locally built <see cref="PauseImage"/>.
/// <see cref="DisposeAsync"/> stops and removes what is left (sandboxes through the CRI, then the daemon, containers,
/// shims, mounts and network namespaces), so a failing test leaves nothing behind. A run that died without disposing
/// is cleaned up by the next <see cref="StartAsync"/>.
/// </summary>
public sealed class Containerd : IAsyncDisposable
{
    private const string DirPrefix = "eipcni-ctrd-";
    private const string K8sNamespace = "k8s.io";

    private readonly Process _process;
    private bool _disposed;

    private Containerd(string dir, Process process, string snapshotter, CriRuntime cri)
    {
        Dir = dir;
        _process = process;
        Snapshotter = snapshotter;
        Cri = cri;
    }

    /// <summary>The harness directory: config.toml, containerd.log, the socket, root/ and state/.</summary>
    public string Dir { get; }

    public string SocketPath => SocketOf(Dir);
    public string ConfigPath => Path.Combine(Dir, "config.toml");
    public string LogPath => Path.Combine(Dir, "containerd.log");
    public string Snapshotter { get; }
    public int Pid => _process.Id;

    /// <summary>The CRI client a kubelet would be: RunPodSandbox, PodSandboxStatus, StopPodSandbox, ...</summary>
    public CriRuntime Cri { get; }

    /// <summary>What the runtime answered to Version at start (e.g. containerd 1.6.20~ds1, CRI v1).</summary>
    public VersionResponse Version { get; private set; } = new();

    /// <summary>From process start to a CRI that answers and holds the sandbox image.</summary>
    public TimeSpan StartupTime { get; private set; }

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why containerd cannot run on this host (a test should skip with this), or null when it can.</summary>
    public static string? UnavailableReason() => Unavailable.Value;

    /// <summary>
    /// Starts containerd and waits until its CRI answers Version and reports the sandbox image (imported, never pulled).
    /// The conf dir should already hold the conflist the first sandbox is to use (containerd also reloads it on change).
    /// </summary>
    public static async Task<Containerd> StartAsync(string cniBinDir, string cniConfDir, ContainerdOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ContainerdOptions();
        if (UnavailableReason() is { } why) throw new InvalidOperationException("containerd cannot run here: " + why);
        await ReapStaleAsync();

        // Short and under /tmp: the socket path must stay below the 108 bytes of sun_path.
        var dir = Path.Combine("/tmp", DirPrefix + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "owner"), $"{Environment.ProcessId} {ProcessStartTicks(Environment.ProcessId)}");
        var clock = Stopwatch.StartNew();
        Containerd? started = null;
        try
        {
            var archive = PauseImage.ArchiveAsync(ct);
            var snapshotter = options.Snapshotter ?? await ProbeSnapshotterAsync(dir, ct);
            var socket = SocketOf(dir);
            var config = Path.Combine(dir, "config.toml");
            await File.WriteAllTextAsync(config, ContainerdConfig.Render(dir, socket, Path.GetFullPath(cniBinDir), Path.GetFullPath(cniConfDir), snapshotter, options), ct);

            // exec: the pid we hold is containerd's own; its log goes straight to a file, nothing to pump.
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
            foreach (var a in new[] { "-c", "exec containerd --config \"$1\" >\"$2\" 2>&1", "sh", config, Path.Combine(dir, "containerd.log") })
                psi.ArgumentList.Add(a);
            var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start containerd");
            process.StandardInput.Close();
            await File.AppendAllTextAsync(Path.Combine(dir, "owner"), $" {process.Id}", ct);
            started = new Containerd(dir, process, snapshotter, new CriRuntime(socket, options.CallTimeout));

            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(options.StartTimeout);
            started.Version = await started.WaitForCriAsync(budget.Token);
            await started.ImportAsync(await archive, budget.Token);
            if (options.RequireNetworkReady) await started.WaitForNetworkReadyAsync(budget.Token);
            started.StartupTime = clock.Elapsed;
            return started;
        }
        catch (Exception e)
        {
            var log = started?.LogTail(40) ?? "";
            // No sandbox can exist yet: straight to the forced teardown, no CRI calls to a daemon that may not answer.
            if (started is not null) await started.DisposeAsync(drainThroughCri: false);
            else await TearDownAsync(dir, containerdPid: null);
            if (e is OperationCanceledException && !ct.IsCancellationRequested)
                throw new TimeoutException($"containerd in {dir} was not ready within {options.StartTimeout.TotalSeconds:0} s (removed)\n{log}", e);
            throw new InvalidOperationException($"containerd in {dir} (removed) did not start: {e.Message}\n{log}", e);
        }
    }

    private async Task<VersionResponse> WaitForCriAsync(CancellationToken ct)
    {
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"containerd exited with {_process.ExitCode}");
            if (File.Exists(SocketPath))
            {
                try
                {
                    return await Cri.VersionAsync(ct);
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Unimplemented)
                {
                    // the socket is there before the CRI plugin has registered its service
                }
            }
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Waits until the CRI has loaded a CNI config; the runtime's reason goes into the error (e.g. a conflist it cannot parse).</summary>
    public async Task WaitForNetworkReadyAsync(CancellationToken ct)
    {
        RuntimeCondition? ready = null;
        try
        {
            while ((ready = await Cri.NetworkReadyAsync(ct)) is not { Status: true }) await Task.Delay(50, ct);
        }
        catch (OperationCanceledException) when (ready is not null)
        {
            throw new InvalidOperationException($"the CRI never reported NetworkReady: {ready.Reason}: {ready.Message}");
        }
    }

    /// <summary>Imports the sandbox image into the CRI's namespace, unpacked for our snapshotter, and waits until the CRI lists it.</summary>
    private async Task ImportAsync(string archive, CancellationToken ct)
    {
        var import = await HostCommand.RunAsync("ctr", ["--address", SocketPath, "--namespace", K8sNamespace, "images", "import",
            "--snapshotter", Snapshotter, archive], TimeSpan.FromSeconds(30), ct);
        if (import.ExitCode != 0) throw new InvalidOperationException(import.Describe("ctr images import"));
        while (await Cri.ImageStatusAsync(PauseImage.Name, ct) is null) await Task.Delay(50, ct);
    }

    /// <summary>The last lines of containerd's log, for a failure message.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            var all = File.ReadAllLines(LogPath);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "(no containerd log)";
        }
    }

    public string ReadLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    /// <summary>
    /// Tears down like a kubelet leaving the node drained: every sandbox stopped and removed through the CRI (so the CNI
    /// DEL runs), then the daemon stopped and whatever it could not clean removed by force.
    /// </summary>
    public ValueTask DisposeAsync() => DisposeAsync(drainThroughCri: true);

    private async ValueTask DisposeAsync(bool drainThroughCri)
    {
        if (_disposed) return;
        _disposed = true;
        if (drainThroughCri && !_process.HasExited)
        {
            try
            {
                using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                foreach (var sandbox in await Cri.ListPodSandboxAsync(ct: budget.Token))
                {
                    await Cri.StopPodSandboxAsync(sandbox.Id, budget.Token);
                    await Cri.RemovePodSandboxAsync(sandbox.Id, budget.Token);
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
            {
                await File.AppendAllTextAsync(LogPath, $"harness: sandbox cleanup through the CRI failed, forcing: {e.Message}\n");
            }
        }
        Cri.Dispose();
        await TearDownAsync(Dir, _process.Id, _process);
        _process.Dispose();
    }

    /// <summary>The sandbox's network namespace path from the verbose status (containerd's "info" document).</summary>
    public async Task<string?> NetnsPathAsync(string sandboxId, CancellationToken ct = default)
    {
        var status = await Cri.PodSandboxStatusAsync(sandboxId, verbose: true, ct: ct);
        if (!status.Info.TryGetValue("info", out var info)) return null;
        var namespaces = JsonNode.Parse(info)?["runtimeSpec"]?["linux"]?["namespaces"]?.AsArray();
        return namespaces?.FirstOrDefault(n => (string?)n?["type"] == "network")?["path"]?.GetValue<string>() is { Length: > 0 } p ? p : null;
    }

    /// <summary>Stops the daemon and removes by force its containers, their network namespaces, shims, mounts and the directory.</summary>
    private static async Task TearDownAsync(string dir, int? containerdPid, Process? process = null)
    {
        if (containerdPid is { } pid && IsOurContainerd(pid, dir))
        {
            HostCommand.Signal(pid, HostCommand.SIGTERM);
            var clock = Stopwatch.StartNew();
            while (HostCommand.IsAlive(pid) && !(process?.HasExited ?? false) && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
            if (!(process?.HasExited ?? !HostCommand.IsAlive(pid))) HostCommand.Signal(pid, HostCommand.SIGKILL);
        }

        // Containers the daemon left running: runc's state is ours (the runtime option Root), one directory per namespace.
        // A running sandbox still holds the network namespace the CRI made for it; runc's state names it.
        var runcRoot = Path.Combine(dir, "state", "runc");
        var netnsPaths = new List<string>();
        var shimSockets = new List<string>();
        if (Directory.Exists(runcRoot))
        {
            foreach (var nsRoot in Directory.GetDirectories(runcRoot))
            foreach (var container in Directory.GetDirectories(nsRoot))
            {
                netnsPaths.AddRange(NetnsOfRuncState(Path.Combine(container, "state.json")));
                shimSockets.Add(ShimSocket(SocketOf(dir), Path.GetFileName(nsRoot), Path.GetFileName(container)));
                await HostCommand.RunAsync("runc", ["--root", nsRoot, "delete", "--force", Path.GetFileName(container)], TimeSpan.FromSeconds(10));
            }
        }
        foreach (var netns in netnsPaths.Where(File.Exists))
        {
            HostCommand.Unmount(netns);
            try { File.Delete(netns); } catch (IOException) { }
        }

        // Shims outlive the daemon by design; ours name our socket on their command line.
        var socketArg = "\0-address\0" + SocketOf(dir) + "\0";
        foreach (var shim in Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(n => int.Parse(n!)))
        {
            string cmdline;
            try { cmdline = "\0" + File.ReadAllText($"/proc/{shim}/cmdline"); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            if (cmdline.Contains("containerd-shim", StringComparison.Ordinal) && cmdline.Contains(socketArg, StringComparison.Ordinal))
                HostCommand.Signal(shim, HostCommand.SIGKILL);
        }

        // A killed shim cannot remove its socket, which lives outside our directory.
        foreach (var socket in shimSockets.Where(File.Exists)) File.Delete(socket);

        // Deepest first: snapshots, rootfs and shm mounts under root/ and state/.
        foreach (var mount in MountsUnder(dir).OrderByDescending(m => m.Length)) HostCommand.Unmount(mount);
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Where containerd 1.6 puts a shim's socket: /run/containerd/s/ and the SHA-256 of address/namespace/id.</summary>
    private static string ShimSocket(string address, string ns, string id) =>
        Path.Combine("/run/containerd/s", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.Combine(address, ns, id)))));

    /// <summary>The CRI's network namespaces (bind mounts named cni-*) a runc container joined, from its state.json.</summary>
    private static IEnumerable<string> NetnsOfRuncState(string stateJson)
    {
        try
        {
            var namespaces = JsonNode.Parse(File.ReadAllText(stateJson))?["config"]?["namespaces"]?.AsArray() ?? [];
            return namespaces.Where(n => (string?)n?["type"] == "NEWNET").Select(n => (string?)n?["path"] ?? "")
                .Where(p => Path.GetFileName(p).StartsWith("cni-", StringComparison.Ordinal) && Path.GetDirectoryName(p) is "/var/run/netns" or "/run/netns")
                .ToList();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return [];
        }
    }

    /// <summary>Cleans up after harness runs whose test process is gone (killed before it could dispose).</summary>
    private static async Task ReapStaleAsync()
    {
        foreach (var dir in Directory.GetDirectories("/tmp", DirPrefix + "*"))
        {
            string[] owner;
            try { owner = File.ReadAllText(Path.Combine(dir, "owner")).Split(' '); } catch (IOException) { continue; }
            if (owner.Length < 2 || !int.TryParse(owner[0], out var ownerPid)) continue;
            if (HostCommand.IsAlive(ownerPid) && ProcessStartTicks(ownerPid) == owner[1]) continue; // still in use
            int? daemon = owner.Length > 2 && int.TryParse(owner[2], out var d) ? d : null;
            await TearDownAsync(dir, daemon);
        }
    }

    /// <summary>A pid is only signalled while it is still a containerd running our config (pids get reused).</summary>
    private static bool IsOurContainerd(int pid, string dir)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains("containerd", StringComparison.Ordinal) && cmdline.Contains(Path.Combine(dir, "config.toml"), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Field 22 of /proc/PID/stat, which tells a process from a later one with the same pid.</summary>
    private static string ProcessStartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static IEnumerable<string> MountsUnder(string dir) =>
        File.ReadLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4].Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\"))
            .Where(m => m.StartsWith(dir + "/", StringComparison.Ordinal))
            .ToList();

    private static string SocketOf(string dir) => Path.Combine(dir, "containerd.sock");

    /// <summary>overlayfs when this kernel mounts an overlay with two lower layers in the harness directory, else native.</summary>
    private static async Task<string> ProbeSnapshotterAsync(string dir, CancellationToken ct)
    {
        var probe = Path.Combine(dir, "overlay-probe");
        var (l1, l2, upper, work, merged) = (Path.Combine(probe, "l1"), Path.Combine(probe, "l2"), Path.Combine(probe, "u"), Path.Combine(probe, "w"), Path.Combine(probe, "m"));
        foreach (var d in new[] { l1, l2, upper, work, merged }) Directory.CreateDirectory(d);
        try
        {
            var mount = await HostCommand.RunAsync("mount", ["-t", "overlay", "overlay", "-o", $"lowerdir={l1}:{l2},upperdir={upper},workdir={work}", merged],
                TimeSpan.FromSeconds(10), ct);
            if (mount.ExitCode != 0) return "native";
            HostCommand.Unmount(merged);
            return "overlayfs";
        }
        finally
        {
            Directory.Delete(probe, recursive: true);
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "containerd tests run on Linux only";
        if (!HostCommand.IsRoot) return "containerd tests need root (network namespaces, mounts, cgroups)";
        foreach (var program in new[] { "containerd", "containerd-shim-runc-v2", "ctr", "runc" })
            if (HostCommand.Which(program) is null)
                return $"{program} is not installed (Debian packages containerd and runc; scripts/lib.sh ensure_packages installs them)";
        if (HostCommand.Which("cc") is null) return "no C compiler (cc) to build the sandbox image's pause program";
        if (!Directory.Exists("/sys/fs/cgroup")) return "no cgroup file system at /sys/fs/cgroup";
        return null;
    }
}

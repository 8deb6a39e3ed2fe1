namespace CriClient;

/// <summary>
/// The config.toml (version 2, the format of containerd 1.6 and 1.7) of a private containerd: every path inside the
/// harness directory, the CRI plugin on the local pause image and the test's CNI directories.
/// </summary>
internal static class ContainerdConfig
{
    public static string Render(string dir, string socket, string cniBinDir, string cniConfDir, string snapshotter, ContainerdOptions options) => $$"""
        version = 2
        root = {{Quote(Path.Combine(dir, "root"))}}
        state = {{Quote(Path.Combine(dir, "state"))}}
        # Snapshotters this host cannot serve only add errors to the log.
        disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

        [grpc]
          address = {{Quote(socket)}}

        [ttrpc]
          address = {{Quote(socket + ".ttrpc")}}

        [debug]
          level = {{Quote(options.LogLevel)}}

        [metrics]
          address = ""

        [plugins."io.containerd.internal.v1.opt"]
          path = {{Quote(Path.Combine(dir, "opt"))}}

        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = {{Quote(PauseImage.Name)}}
          disable_tcp_service = true
          # The kubelet asks -998 for a sandbox; lowering a score needs CAP_SYS_RESOURCE, which a test host may lack.
          restrict_oom_score_adj = true
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          enable_selinux = false
          disable_apparmor = true

          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = {{Quote(snapshotter)}}
            default_runtime_name = "runc"

            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"

              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                # runc's state beside ours, not in /run/containerd/runc shared with any other containerd.
                Root = {{Quote(Path.Combine(dir, "state", "runc"))}}
                SystemdCgroup = false

          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = {{Quote(cniBinDir)}}
            conf_dir = {{Quote(cniConfDir)}}
            max_conf_num = {{options.CniMaxConfNum}}
            conf_template = ""
        """;

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

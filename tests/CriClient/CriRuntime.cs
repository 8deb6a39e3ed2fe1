using System.Net.Sockets;
using CriClient.Api;
using Grpc.Core;
using Grpc.Net.Client;

namespace CriClient;

/// <summary>
/// A CRI runtime.v1 client on a unix socket: the calls a kubelet makes for a pod sandbox, and the image queries.
/// Each call carries a deadline so a wedged runtime fails the test instead of hanging it.
/// </summary>
public sealed class CriRuntime : IDisposable
{
    private readonly GrpcChannel _channel;

    public CriRuntime(string socketPath, TimeSpan? callTimeout = null)
    {
        SocketPath = socketPath;
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(60);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // gRPC needs an http:// address; the host is never resolved, the handler dials the socket.
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, ThrowOperationCanceledOnCancellation = true });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    public string SocketPath { get; }

    /// <summary>The deadline of each call made through the helpers below.</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>The generated clients, for a call the helpers do not cover.</summary>
    public RuntimeService.RuntimeServiceClient Runtime { get; }

    public ImageService.ImageServiceClient Images { get; }

    public async Task<VersionResponse> VersionAsync(CancellationToken ct = default) =>
        await Runtime.VersionAsync(new VersionRequest { Version = "v1" }, Options(ct));

    /// <summary>The runtime's conditions (RuntimeReady, NetworkReady); <paramref name="verbose"/> adds its info documents.</summary>
    public async Task<StatusResponse> StatusAsync(bool verbose = false, CancellationToken ct = default) =>
        await Runtime.StatusAsync(new StatusRequest { Verbose = verbose }, Options(ct));

    /// <summary>The NetworkReady condition, as the kubelet reads it to mark the node ready (null when the runtime reports none).</summary>
    public async Task<RuntimeCondition?> NetworkReadyAsync(CancellationToken ct = default) =>
        (await StatusAsync(ct: ct)).Status.Conditions.FirstOrDefault(c => c.Type == "NetworkReady");

    /// <summary>
    /// Runs a pod sandbox the way the kubelet does (metadata, hostname, log directory, labels and annotations, Linux
    /// defaults); returns once the runtime answers, i.e. after the whole CNI ADD chain returned.
    /// </summary>
    public async Task<string> RunPodSandboxAsync(string name, string ns, string uid, IReadOnlyDictionary<string, string>? annotations = null,
        IReadOnlyDictionary<string, string>? labels = null, uint attempt = 0, string? logDirectory = null, CancellationToken ct = default)
    {
        var config = SandboxConfig(name, ns, uid, annotations, labels, attempt, logDirectory);
        var response = await Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }, Options(ct));
        return response.PodSandboxId;
    }

    /// <summary>The sandbox config a kubelet sends for a pod on the pod network: what <see cref="RunPodSandboxAsync"/> sends.</summary>
    public static PodSandboxConfig SandboxConfig(string name, string ns, string uid, IReadOnlyDictionary<string, string>? annotations = null,
        IReadOnlyDictionary<string, string>? labels = null, uint attempt = 0, string? logDirectory = null)
    {
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = ns, Uid = uid, Attempt = attempt },
            Hostname = name,
            LogDirectory = logDirectory ?? $"/var/log/pods/{ns}_{name}_{uid}",
            DnsConfig = new DNSConfig(),
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                    Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
                },
            },
        };
        // What the kubelet always adds, so label selectors and the runtime's bookkeeping see a real pod.
        config.Labels["io.kubernetes.pod.name"] = name;
        config.Labels["io.kubernetes.pod.namespace"] = ns;
        config.Labels["io.kubernetes.pod.uid"] = uid;
        if (labels is not null) foreach (var (k, v) in labels) config.Labels[k] = v;
        config.Annotations["kubernetes.io/config.source"] = "api";
        if (annotations is not null) foreach (var (k, v) in annotations) config.Annotations[k] = v;
        return config;
    }

    public async Task StopPodSandboxAsync(string sandboxId, CancellationToken ct = default) =>
        await Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandboxId }, Options(ct));

    public async Task RemovePodSandboxAsync(string sandboxId, CancellationToken ct = default) =>
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandboxId }, Options(ct));

    /// <summary>The sandbox's status; <paramref name="verbose"/> adds the runtime's info documents (JSON by key).</summary>
    public async Task<PodSandboxStatusResponse> PodSandboxStatusAsync(string sandboxId, bool verbose = false, CancellationToken ct = default) =>
        await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId, Verbose = verbose }, Options(ct));

    /// <summary>The pod IP the kubelet would report (status.podIP), "" when the sandbox has none.</summary>
    public async Task<string> PodIpAsync(string sandboxId, CancellationToken ct = default) =>
        (await PodSandboxStatusAsync(sandboxId, ct: ct)).Status.Network?.Ip ?? "";

    public async Task<IReadOnlyList<PodSandbox>> ListPodSandboxAsync(PodSandboxFilter? filter = null, CancellationToken ct = default) =>
        (await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter }, Options(ct))).Items;

    public async Task<IReadOnlyList<Image>> ListImagesAsync(CancellationToken ct = default) =>
        (await Images.ListImagesAsync(new ListImagesRequest(), Options(ct))).Images;

    /// <summary>The image as the CRI sees it, or null when it does not have it (no pull is attempted).</summary>
    public async Task<Image?> ImageStatusAsync(string image, CancellationToken ct = default) =>
        (await Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image } }, Options(ct))).Image;

    private CallOptions Options(CancellationToken ct) => new(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: ct);

    public void Dispose() => _channel.Dispose();
}

using System.Net;

namespace EipCni.Cloud;

/// <summary>The composed cloud layer of one process: one HTTP connection pool shared by every API, metadata and STS.</summary>
public sealed class CloudClients : IDisposable
{
    private readonly HttpClient _http;

    private CloudClients(HttpClient http, IEipCloud eip, INetworkInterfaceLookup networkInterfaces, IInstanceMetadata metadata,
        CredentialChain credentials, CloudEndpoints endpoints)
    {
        _http = http;
        Eip = eip;
        NetworkInterfaces = networkInterfaces;
        Metadata = metadata;
        Credentials = credentials;
        Endpoints = endpoints;
    }

    public IEipCloud Eip { get; }
    public INetworkInterfaceLookup NetworkInterfaces { get; }
    public IInstanceMetadata Metadata { get; }
    public CredentialChain Credentials { get; }
    public CloudEndpoints Endpoints { get; }

    /// <summary>
    /// Composes everything from <paramref name="options"/> (validated here) and the environment. Does no I/O: the region,
    /// credentials and connections are resolved on the first cloud call.
    /// </summary>
    /// <param name="environment">Reads an environment variable; null for the process environment.</param>
    /// <param name="retry">Null for the defaults (with <see cref="CloudOptions.RequestTimeout"/>).</param>
    /// <param name="handler">Null for the real network stack (tests pass a fake).</param>
    /// <param name="attemptFailed">Told of every failed attempt of a signed call (the agent's metrics); null for none.</param>
    public static CloudClients Create(CloudOptions options, ILog log, Func<string, string?>? environment = null,
        TimeProvider? time = null, RetrySettings? retry = null, MetadataSettings? metadataSettings = null, HttpMessageHandler? handler = null,
        Action<CloudException>? attemptFailed = null)
    {
        options.Validate();
        time ??= TimeProvider.System;
        environment ??= Environment.GetEnvironmentVariable;
        retry ??= new RetrySettings { RequestTimeout = options.RequestTimeout };
        var http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            // A proxy from the environment must never see metadata or STS traffic; our endpoints are inside the VPC.
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            // Our own per-attempt timeouts rule; HttpClient's would fire with a misleading message.
            Timeout = Timeout.InfiniteTimeSpan,
            // Every answer is read through a cap (Http.BoundedAnswer); this only guards a buffered read added later.
            MaxResponseContentBufferSize = Http.AnswerLimits.PageBytes,
        };
        var metadata = new InstanceMetadata(http, options.MetadataEndpoint, metadataSettings ?? new MetadataSettings(), log, time);
        var endpoints = new CloudEndpoints(options, metadata);
        var anonymous = new OpenApiClient(http, null, UnlimitedCloudCallGate.Instance, retry, log, time);
        var credentials = CredentialChain.Standard(options, environment, anonymous, endpoints, metadata, log, time);
        var slots = new CloudCallSlots(options.StateDir, options.MaxConcurrentCloudCalls);
        var client = new OpenApiClient(http, credentials, slots, retry, log, time, attemptFailed);
        return new CloudClients(http, new EipCloud(client, endpoints), new EcsCloud(client, endpoints), metadata, credentials, endpoints);
    }

    public void Dispose() => _http.Dispose();
}

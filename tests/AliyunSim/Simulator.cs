using AliyunSim.Api;
using AliyunSim.Cloud;
using AliyunSim.Services;

namespace AliyunSim;

/// <summary>Everything one simulator instance holds; composed once in Program.</summary>
public sealed class Simulator
{
    public Simulator(World world, SimConfig config)
    {
        World = world;
        Config = config;
        Clock = new SimClock();
        Credentials = new CredentialStore(world, Clock);
        Nonces = new NonceCache();
        Authenticator = new Authenticator(Credentials, Nonces);
        Cloud = new CloudState(world, config, Clock);
        Sts = new StsService(world, config, Clock, Credentials);
        Metadata = new MetadataService(world, config, Clock, Credentials);
        Throttle = new Throttle(config);
        Faults = new FaultRules();
        Idempotency = new IdempotencyStore();
        Requests = new RequestLog();
    }

    public World World { get; }
    public SimConfig Config { get; }
    public SimClock Clock { get; }
    public CredentialStore Credentials { get; }
    public NonceCache Nonces { get; }
    public Authenticator Authenticator { get; }
    public CloudState Cloud { get; }
    public StsService Sts { get; }
    public MetadataService Metadata { get; }
    public Throttle Throttle { get; }
    public FaultRules Faults { get; }
    public IdempotencyStore Idempotency { get; }
    public RequestLog Requests { get; }

    CancellationTokenSource worldLifetime = new();

    /// <summary>Cancelled by <see cref="Reset"/>: work still in flight (a stalled call) never reaches the next world.</summary>
    public CancellationToken WorldLifetime => Volatile.Read(ref worldLifetime).Token;

    /// <summary>POST /_sim/reset: back to the seed world; config and issued STS credentials are kept.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref worldLifetime, new CancellationTokenSource()).Cancel();
        Cloud.Reset();
        Faults.Clear();
        Requests.Clear();
        Idempotency.Clear();
        Nonces.Clear();
        Metadata.Clear();
        Throttle.Reset();
        Clock.Reset();
        Credentials.ForgetRoleCredential();
    }
}

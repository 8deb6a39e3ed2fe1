using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

/// <summary>
/// The credential chain, resolved on the first cloud call (a pod without an EIP costs nothing): the static AccessKey
/// from eni_conf; the environment (<c>ALIBABA_CLOUD_ACCESS_KEY_ID</c>/<c>_SECRET</c>, optional <c>_SECURITY_TOKEN</c>);
/// RRSA (<c>ALIBABA_CLOUD_ROLE_ARN</c>, <c>_OIDC_PROVIDER_ARN</c>, <c>_OIDC_TOKEN_FILE</c>); the instance RAM role.
/// </summary>
/// <remarks>
/// The first source that is CONFIGURED wins and its failures are reported as they are: a broken RRSA setup is an error
/// to fix, not a reason to silently act with the node's role instead.
/// </remarks>
public sealed class CredentialChain : ICredentialSource
{
    private readonly Func<ICredentialSource> _select;
    private readonly Lazy<ICredentialSource> _selected;

    public CredentialChain(Func<ICredentialSource> select)
    {
        _select = select;
        _selected = new Lazy<ICredentialSource>(_select, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>True once the first call chose a source (tests: nothing happens before a cloud call).</summary>
    public bool IsResolved => _selected.IsValueCreated;

    public ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken) => _selected.Value.GetAsync(cancellationToken);

    public void Invalidate(CloudCredential rejected)
    {
        if (_selected.IsValueCreated) _selected.Value.Invalidate(rejected);
    }

    /// <summary>The standard selection over options, environment, STS and the metadata service.</summary>
    public static CredentialChain Standard(CloudOptions options, Func<string, string?> environment, OpenApiClient anonymousClient,
        CloudEndpoints endpoints, IInstanceMetadata metadata, ILog log, TimeProvider time) => new(() =>
    {
        if (!string.IsNullOrEmpty(options.AccessKeyId) && !string.IsNullOrEmpty(options.AccessKeySecret))
            return Chosen(log, new StaticCredentialSource(new CloudCredential(options.AccessKeyId, options.AccessKeySecret, null, null, "eni_conf")));

        string? Env(string name) => environment(name) is { Length: > 0 } v ? v : null;
        if (Env("ALIBABA_CLOUD_ACCESS_KEY_ID") is { } id && Env("ALIBABA_CLOUD_ACCESS_KEY_SECRET") is { } secret)
            return Chosen(log, new StaticCredentialSource(new CloudCredential(id, secret, Env("ALIBABA_CLOUD_SECURITY_TOKEN"), null, "environment")));

        if (Env("ALIBABA_CLOUD_ROLE_ARN") is { } roleArn && Env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN") is { } providerArn
            && Env("ALIBABA_CLOUD_OIDC_TOKEN_FILE") is { } tokenFile)
        {
            var rrsa = new OidcRoleCredentialFetcher(anonymousClient, endpoints, roleArn, providerArn, tokenFile, Env("ALIBABA_CLOUD_ROLE_SESSION_NAME"));
            return Chosen(log, new TemporaryCredentials(rrsa, options.StateDir, log, time), "rrsa");
        }

        var role = new EcsRamRoleCredentialFetcher(metadata, Env("ALIBABA_CLOUD_ECS_METADATA"));
        return Chosen(log, new TemporaryCredentials(role, options.StateDir, log, time), "ecs-ram-role");
    });

    private static ICredentialSource Chosen(ILog log, ICredentialSource source, string? name = null)
    {
        log.Write(LogLevel.Debug, "credential source chosen", ("source", name ?? source.ToString()));
        return source;
    }
}

// Wire and file shapes that carry secrets: ToString is overridden so a stray log of one prints no secret.

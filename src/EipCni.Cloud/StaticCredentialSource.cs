using System.Globalization;
using System.Text.Json;

namespace EipCni.Cloud;

/// <summary>A long-lived credential handed in by configuration (eni_conf or environment).</summary>
public sealed class StaticCredentialSource : ICredentialSource
{
    private readonly CloudCredential _credential;

    public StaticCredentialSource(CloudCredential credential) => _credential = credential;

    public ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_credential);

    public void Invalidate(CloudCredential rejected) { }

    public override string ToString() => _credential.ToString();
}

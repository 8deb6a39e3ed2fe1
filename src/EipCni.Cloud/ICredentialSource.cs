namespace EipCni.Cloud;

/// <summary>Where the signed calls get their credential from (resolved lazily, on the first call).</summary>
public interface ICredentialSource
{
    /// <summary>A credential valid for at least a few more minutes.</summary>
    ValueTask<CloudCredential> GetAsync(CancellationToken cancellationToken);

    /// <summary>The cloud rejected <paramref name="rejected"/> as expired or invalid: drop it so the next <see cref="GetAsync"/> fetches a fresh one.</summary>
    void Invalidate(CloudCredential rejected);
}

namespace EipCni.Kube;

/// <summary>A token minted by TokenRequest and when it expires. <see cref="ToString"/> never prints the token.</summary>
public sealed record ServiceAccountToken(string Token, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"service account token (expires {ExpiresAt:O})";
}

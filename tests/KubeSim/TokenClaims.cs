namespace KubeSim;

/// <summary>What a service account token says: who, for which audiences, until when, and the pod it is bound to (if any).</summary>
public sealed record TokenClaims(string Namespace, string ServiceAccount, string ServiceAccountUid, IReadOnlyList<string> Audiences,
    DateTimeOffset IssuedAt, DateTimeOffset Expiry, string? PodName, string? PodUid)
{
    public string User => $"system:serviceaccount:{Namespace}:{ServiceAccount}";
}

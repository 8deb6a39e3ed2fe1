namespace EipCni.Cni;

/// <summary>
/// CNI_ARGS ("K1=V1;K2=V2"), parsed leniently: unknown keys, duplicates and empty values are tolerated. The pod identity
/// (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID) is validated here, once: the properties hold only values that are
/// valid Kubernetes names, so nothing downstream (API paths, tags, the journal) can ever see "..", "/" or worse.
/// </summary>
public sealed class CniArgs
{
    public const string NamespaceKey = "K8S_POD_NAMESPACE";
    public const string NameKey = "K8S_POD_NAME";
    public const string UidKey = "K8S_POD_UID";

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static CniArgs Parse(string? raw)
    {
        var args = new CniArgs();
        if (!string.IsNullOrEmpty(raw))
        {
            foreach (var pair in raw.Split(';'))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) continue; // "K" alone or "=V": nothing usable, and not worth failing a pod for
                var key = pair[..eq].Trim();
                if (key.Length == 0) continue;
                args._values[key] = pair[(eq + 1)..].Trim(); // last one wins, as containerd may repeat keys
            }
        }
        args.PodNamespace = args.Valid(NamespaceKey, NamespaceError);
        args.PodName = args.Valid(NameKey, NameError);
        args.PodUid = args.Valid(UidKey, UidError);
        return args;
    }

    /// <summary>The raw value of a key (null when absent or empty). Never use it for the pod identity: see <see cref="PodName"/>.</summary>
    public string? Get(string key) => _values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    /// <summary>A DNS-1123 label, or null when absent or invalid.</summary>
    public string? PodNamespace { get; private set; }

    /// <summary>A DNS-1123 subdomain, or null when absent or invalid.</summary>
    public string? PodName { get; private set; }

    /// <summary>A UUID, or null when absent or invalid.</summary>
    public string? PodUid { get; private set; }

    /// <summary>True when the runtime named a pod (namespace and name present), valid or not.</summary>
    public bool NamesPod => Get(NamespaceKey) is not null && Get(NameKey) is not null;

    /// <summary>The first invalid identity value: which key, and the value with what is allowed. Null when all are valid or absent.</summary>
    public (string Key, string Problem)? InvalidIdentity { get; private set; }

    private string? Valid(string key, Func<string, string?> check)
    {
        if (Get(key) is not { } value) return null;
        if (check(value) is not { } problem) return value;
        InvalidIdentity ??= (key, $"{key} {CniInvocation.Printable(value)} {problem}");
        return null;
    }

    /// <summary>Kubernetes namespace names are DNS-1123 labels; null when valid.</summary>
    public static string? NamespaceError(string value) =>
        LabelError(value) is { } e ? $"is not a valid namespace: it {e} (a DNS-1123 label: at most 63 of a-z, 0-9 and '-', starting and ending with a letter or digit)" : null;

    /// <summary>
    /// Pod names are DNS-1123 subdomains: at most 253 characters, dot-separated parts of a-z, 0-9 and '-' that start and
    /// end with a letter or digit. As in Kubernetes, a part may be longer than 63 characters.
    /// </summary>
    public static string? NameError(string value)
    {
        string? problem = value.Length > 253 ? "is longer than 253 characters" : null;
        foreach (var part in value.Split('.'))
            problem ??= part.Length == 0 ? "has an empty part between dots" : LabelError(part, maxLength: int.MaxValue);
        return problem is null ? null
            : $"is not a valid pod name: it {problem} (a DNS-1123 subdomain: at most 253 of a-z, 0-9, '-' and '.', each dot-separated part starting and ending with a letter or digit)";
    }

    /// <summary>Pod UIDs are UUIDs (8-4-4-4-12 hex digits); null when valid.</summary>
    public static string? UidError(string value)
    {
        var ok = value.Length == 36;
        for (var i = 0; ok && i < value.Length; i++)
            ok = i is 8 or 13 or 18 or 23 ? value[i] == '-' : char.IsAsciiHexDigit(value[i]);
        return ok ? null : "is not a valid pod UID (a UUID: 8-4-4-4-12 hex digits)";
    }

    private static string? LabelError(string value, int maxLength = 63)
    {
        if (value.Length > maxLength) return $"is longer than {maxLength} characters";
        foreach (var c in value)
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-') return "may contain only a-z, 0-9 and '-'";
        if (value[0] == '-' || value[^1] == '-') return "must start and end with a letter or digit";
        return null;
    }
}

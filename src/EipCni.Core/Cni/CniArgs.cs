namespace EipCni.Cni;

/// <summary>CNI_ARGS ("K1=V1;K2=V2"), parsed leniently: unknown keys, duplicates and empty values are tolerated.</summary>
public sealed class CniArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static CniArgs Parse(string? raw)
    {
        var args = new CniArgs();
        if (string.IsNullOrEmpty(raw)) return args;
        foreach (var pair in raw.Split(';'))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) continue; // "K" alone or "=V": nothing usable, and not worth failing a pod for
            var key = pair[..eq].Trim();
            if (key.Length == 0) continue;
            args._values[key] = pair[(eq + 1)..].Trim(); // last one wins, as containerd may repeat keys
        }
        return args;
    }

    public string? Get(string key) => _values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    public string? PodNamespace => Get("K8S_POD_NAMESPACE");
    public string? PodName => Get("K8S_POD_NAME");
    public string? PodUid => Get("K8S_POD_UID");
}

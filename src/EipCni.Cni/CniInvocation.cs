namespace EipCni.Cni;

/// <summary>The CNI_* environment of one plugin call, validated for its verb.</summary>
public sealed record CniInvocation(
    CniCommand Command,
    string ContainerId,
    string Netns,
    string IfName,
    CniArgs Args,
    string CniPath)
{
    /// <summary>
    /// Reads and validates the environment. Every missing variable is reported at once (code 4), like the Go skel.
    /// CNI_PATH is never required: this plugin delegates to nobody.
    /// </summary>
    public static CniInvocation FromEnvironment(Func<string, string?> env)
    {
        var commandText = env("CNI_COMMAND") ?? "";
        var command = commandText switch
        {
            "ADD" => CniCommand.Add,
            "DEL" => CniCommand.Del,
            "CHECK" => CniCommand.Check,
            "GC" => CniCommand.Gc,
            "STATUS" => CniCommand.Status,
            "VERSION" => CniCommand.Version,
            _ => throw new CniException(CniCode.InvalidEnvironment, $"unknown CNI_COMMAND: {Printable(commandText)}",
                "expected one of ADD, DEL, CHECK, GC, STATUS, VERSION"),
        };

        string Read(string name) => env(name) ?? "";
        var containerId = Read("CNI_CONTAINERID");
        var netns = Read("CNI_NETNS");
        var ifName = Read("CNI_IFNAME");

        var required = command switch
        {
            CniCommand.Add or CniCommand.Check => new[] { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME" },
            CniCommand.Del => new[] { "CNI_CONTAINERID", "CNI_IFNAME" }, // containerd sends an empty netns once it is gone
            _ => Array.Empty<string>(),
        };
        List<string>? missing = null;
        foreach (var name in required)
            if (string.IsNullOrEmpty(env(name))) (missing ??= []).Add(name);
        if (missing is not null)
            throw new CniException(CniCode.InvalidEnvironment, $"required env variables [{string.Join(",", missing)}] missing");

        if (required.Length > 0)
        {
            if (!IsValidContainerId(containerId))
                throw new CniException(CniCode.InvalidEnvironment, "invalid characters in CNI_CONTAINERID",
                    $"CNI_CONTAINERID {Printable(containerId)} must start with a letter or digit and contain only letters, digits, '_', '.' and '-'");
            var ifError = InterfaceNameError(ifName);
            if (ifError is not null)
                throw new CniException(CniCode.InvalidEnvironment, "invalid CNI_IFNAME", $"CNI_IFNAME {Printable(ifName)}: {ifError}");
        }

        return new CniInvocation(command, containerId, netns, ifName, CniArgs.Parse(env("CNI_ARGS")), Read("CNI_PATH"));
    }

    /// <summary>Container IDs name journal files: letters, digits, '_', '.', '-', starting with a letter or digit.</summary>
    public static bool IsValidContainerId(string id)
    {
        if (id.Length == 0 || id.Length > 1024 || !char.IsAsciiLetterOrDigit(id[0])) return false;
        foreach (var c in id)
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '.' && c != '-') return false;
        return true;
    }

    /// <summary>The Linux rules for an interface name, as the Go skel applies them; null when valid.</summary>
    public static string? InterfaceNameError(string name)
    {
        if (name.Length == 0) return "is empty";
        if (name.Length > 15) return "is longer than 15 characters";
        if (name is "." or "..") return "must not be '.' or '..'";
        foreach (var c in name)
            if (c == '/' || c == ':' || char.IsWhiteSpace(c) || char.IsControl(c)) return "must not contain '/', ':', whitespace or control characters";
        return null;
    }

    /// <summary>Quotes a value for an error message, cut short and with control characters escaped.</summary>
    public static string Printable(string value)
    {
        var cut = value.Length > 64 ? value[..64] + "…" : value;
        var sb = new System.Text.StringBuilder(cut.Length + 2).Append('"');
        foreach (var c in cut)
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        return sb.Append('"').ToString();
    }
}

using System.Text.Json;

namespace EipCni.Cni;

/// <summary>The EIP-related keys of Terway's eni_conf (ConfigMap kube-system/eni-config, copied to the host).</summary>
public sealed record EniConf(
    bool EnableEipPool,
    bool AllowEipRob,
    string? AccessKey,
    string? AccessSecret,
    string? RegionId,
    string? ClusterId)
{
    public static readonly EniConf Disabled = new(false, false, null, null, null, null);

    /// <summary>
    /// Loads the file. A missing file means the feature is off (Terway without the EIP pool has nothing to say);
    /// a file that cannot be read is an I/O error (5); a malformed one, one that is not a regular file or one over
    /// <see cref="ConfigFile.ConfigLimit"/> a config error (7).
    /// </summary>
    public static EniConf Load(string path, out bool fileExists)
    {
        byte[]? bytes;
        try
        {
            bytes = ConfigFile.Read(path, ConfigFile.ConfigLimit);
        }
        catch (ConfigFileException e)
        {
            throw new CniException(CniCode.InvalidConfig, $"eni_conf {path} is unusable", e.Message);
        }
        catch (IOException e)
        {
            throw new CniException(CniCode.IoFailure, $"cannot read eni_conf {path}", e.Message);
        }
        fileExists = bytes is not null;
        return bytes is null ? Disabled : Parse(bytes, path);
    }

    public static EniConf Parse(ReadOnlySpan<byte> json, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new CniException(CniCode.InvalidConfig, $"eni_conf {path} is not valid JSON", e.Message);
        }
        if (JsonText.FirstUndecodableString(json) is { } problem)
        {
            doc.Dispose();
            throw new CniException(CniCode.InvalidConfig, $"eni_conf {path} is not valid text", problem);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CniException(CniCode.InvalidConfig, $"eni_conf {path} must be a JSON object");
            const string where = "eni_conf.";
            var ak = JsonFields.OptionalString(root, "access_key", where, secret: true);
            var sk = JsonFields.OptionalString(root, "access_secret", where, secret: true);
            return new EniConf(
                JsonFields.OptionalFlag(root, "enable_eip_pool", where) ?? false,
                JsonFields.OptionalFlag(root, "allow_eip_rob", where) ?? false,
                string.IsNullOrEmpty(ak) ? null : ak,
                string.IsNullOrEmpty(sk) ? null : sk,
                NullIfEmpty(JsonFields.OptionalString(root, "region_id", where)),
                NullIfEmpty(JsonFields.OptionalString(root, "cluster_id", where)));
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>Never prints the AccessKey pair.</summary>
    public override string ToString() =>
        $"EniConf {{ EnableEipPool = {EnableEipPool}, AllowEipRob = {AllowEipRob}, StaticKey = {(AccessKey is null ? "no" : "yes")}, RegionId = {RegionId}, ClusterId = {ClusterId} }}";
}

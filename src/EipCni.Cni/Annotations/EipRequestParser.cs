using System.Globalization;
using System.Text;
using System.Text.Json;
using EipCni.Cni;
using N = EipCni.Cni.EipAnnotationNames;

namespace EipCni.Cni;

/// <summary>
/// Turns a pod's annotations into a validated <see cref="EipRequest"/> (README, "Pod annotations"), before any cloud call.
/// An invalid value is CNI error 7 whose message names the annotation key that was used and whose details give the
/// value and what is allowed. Pure: no I/O.
/// </summary>
public static class EipRequestParser
{
    /// <summary>Tag keys under this prefix are the plugin's ownership tags; a user tag may not use it.</summary>
    public const string OwnershipTagPrefix = "eip-cni.alibabacloud.com/";

    /// <summary>The cloud allows 20 tags per EIP; the plugin keeps 8 for its ownership tags.</summary>
    public const int MaxUserTags = 12;

    public const int MaxBandwidthPayByTraffic = 200;
    public const int MaxBandwidthPayByBandwidth = 500;

    private static readonly string[] InternetChargeTypes = [EipRequest.PayByTraffic, EipRequest.PayByBandwidth];

    private static readonly string[] Isps =
    [
        "BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile", "ChinaTelecom_L2", "ChinaUnicom_L2",
        "ChinaMobile_L2", "BGP_FinanceCloud", "BGP_International",
    ];

    private static readonly string[] ProtectionTypes = ["AntiDDoS_Enhanced"];

    public static EipRequest Parse(IReadOnlyDictionary<string, string> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var r = new Reader(annotations);

        bool? withEip = null;
        if (r.Read(N.PodWithEip, N.CompatWithEip, StringComparison.OrdinalIgnoreCase) is (var withKey, var withValue))
        {
            withEip = withValue.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                _ => throw Invalid(withKey, withValue, "must be \"true\" or \"false\""),
            };
        }

        string? userId = null, userIdKey = null;
        if (r.Read(N.PodEipInstanceId, N.CompatInstanceId) is (var idKey, var idValue))
        {
            if (idValue.Length > 0) (userId, userIdKey) = (ResourceId(idKey, idValue, "eip-"), idKey);
            else if (withEip == true)
                throw Invalid(idKey, idValue, "is empty: give the ID of your EIP (eip-…) to bind it, or remove the annotation to have a new EIP allocated");
            // An empty ID on a pod that does not otherwise ask is a template default, not a request (as in WantsEip).
        }

        // The not-asking path stays cheap and tolerant: the rest is not read at all, so a pod that does not ask for an
        // EIP never fails ADD because of a stray or half-written eip-* annotation.
        if (withEip != true && userId is null)
            return EipRequest.NotWanted with { Warnings = r.Warnings, SourceKeys = r.Keys };

        if (withEip == false)
            r.Warn($"{r.KeyOf(N.PodWithEip, N.CompatWithEip)} is \"false\" but {userIdKey} asks for {userId}: the EIP is bound");

        // Read every creation-only annotation, so even one that a user-specified EIP ignores must be valid.
        var internetChargeType = EipRequest.PayByTraffic;
        var creationKeys = new List<string>();
        if (r.Read(N.InternetChargeType, N.CompatChargeType) is (var ictKey, var ictValue))
        {
            internetChargeType = OneOf(ictKey, ictValue, InternetChargeTypes);
            creationKeys.Add(ictKey);
        }

        if (r.Read(N.InstanceChargeType) is (var instKey, var instValue))
        {
            if (instValue.Equals("PrePaid", StringComparison.OrdinalIgnoreCase))
                throw Invalid(instKey, instValue,
                    "is refused: a subscription (PrePaid) EIP cannot be created per pod because the plugin could not release it; only PostPaid is allowed (bind a subscription EIP you own with pod-eip-instanceid instead)");
            OneOf(instKey, instValue, [EipRequest.PostPaid]);
            creationKeys.Add(instKey);
        }

        var bandwidth = EipRequest.DefaultBandwidth;
        if (r.Read(N.Bandwidth) is (var bwKey, var bwValue))
        {
            bandwidth = Bandwidth(bwKey, bwValue, internetChargeType);
            creationKeys.Add(bwKey);
        }

        var cbwp = Optional(r, N.CommonBandwidthPackageId, creationKeys, (k, v) => ResourceId(k, v, "cbwp-"));
        var isp = Optional(r, N.Isp, creationKeys, (k, v) => OneOf(k, v, Isps));
        var pool = Optional(r, N.PublicIpAddressPoolId, creationKeys, (k, v) => ResourceId(k, v, "pippool-"));
        var group = Optional(r, N.ResourceGroupId, creationKeys, (k, v) => ResourceId(k, v, "rg-"));
        var name = Optional(r, N.Name, creationKeys, (k, v) => Text(k, v, 128));
        var description = Optional(r, N.Description, creationKeys, (k, v) => Text(k, v, 256));

        IReadOnlyList<string> protection = [];
        if (r.Read(N.SecurityProtectionTypes) is (var spKey, var spValue))
        {
            protection = ProtectionList(spKey, spValue);
            creationKeys.Add(spKey);
        }

        IReadOnlyDictionary<string, string> tags = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;
        if (r.Read(N.Tags) is (var tagKey, var tagValue))
        {
            tags = Tags(tagKey, tagValue);
            creationKeys.Add(tagKey);
        }

        var release = ReleaseStrategy.Follow;
        string? releaseKey = null;
        if (r.Read(N.ReleaseStrategy) is (var rsKey, var rsValue))
        {
            if (!ReleaseStrategy.TryParse(rsValue, out release, out var why)) throw Invalid(rsKey, rsValue, why);
            releaseKey = rsKey;
        }

        if (userId is not null)
        {
            foreach (var key in creationKeys)
                r.Warn($"{key} is ignored for a user-specified EIP ({userId}): it only applies when the plugin creates the EIP");
            if (releaseKey is not null)
                r.Warn($"{releaseKey} is ignored for a user-specified EIP ({userId}): the plugin never releases an EIP it did not create");
            return new EipRequest { Wanted = true, UserAllocationId = userId, Warnings = r.Warnings, SourceKeys = r.Keys };
        }

        return new EipRequest
        {
            Wanted = true,
            Bandwidth = bandwidth,
            InternetChargeType = internetChargeType,
            InstanceChargeType = EipRequest.PostPaid,
            CommonBandwidthPackageId = cbwp,
            Isp = isp,
            PublicIpAddressPoolId = pool,
            ResourceGroupId = group,
            Name = name,
            Description = description,
            SecurityProtectionTypes = protection,
            UserTags = tags,
            ReleaseStrategy = release,
            Warnings = r.Warnings,
            SourceKeys = r.Keys,
        };
    }

    private static string? Optional(Reader r, string name, List<string> used, Func<string, string, string> validate)
    {
        if (r.Read(name) is not (var key, var value)) return null;
        used.Add(key);
        return validate(key, value);
    }

    private static int Bandwidth(string key, string value, string internetChargeType)
    {
        var max = internetChargeType == EipRequest.PayByBandwidth ? MaxBandwidthPayByBandwidth : MaxBandwidthPayByTraffic;
        var allowed = $"allowed: a whole number of Mbit/s from 1 to {max} with {internetChargeType} (PayByTraffic up to {MaxBandwidthPayByTraffic}, PayByBandwidth up to {MaxBandwidthPayByBandwidth})";
        if (value.Length == 0 || !value.All(char.IsAsciiDigit)) throw Invalid(key, value, $"is not a whole number; {allowed}");
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mbps) || mbps > max)
            throw Invalid(key, value, $"is above the cloud's limit; {allowed}");
        if (mbps == 0) throw Invalid(key, value, $"must be greater than 0; {allowed}");
        return mbps;
    }

    /// <summary>An Alibaba Cloud resource ID: the prefix, then lowercase letters and digits, at most 64 characters.</summary>
    private static string ResourceId(string key, string value, string prefix)
    {
        var ok = value.Length > prefix.Length && value.Length <= 64 && value.StartsWith(prefix, StringComparison.Ordinal)
            && value.AsSpan(prefix.Length).IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789") < 0;
        if (!ok) throw Invalid(key, value, $"is not a resource ID; expected {prefix} followed by lowercase letters and digits, at most 64 characters in all");
        return value;
    }

    /// <summary>One of the cloud's spellings; matched ignoring case and returned in the cloud's spelling.</summary>
    private static string OneOf(string key, string value, string[] allowed)
    {
        foreach (var a in allowed)
            if (a.Equals(value, StringComparison.OrdinalIgnoreCase)) return a;
        throw Invalid(key, value, $"is not allowed; expected one of {string.Join(", ", allowed)}");
    }

    /// <summary>Name and description: the cloud's length limit and its ban on a leading URL scheme.</summary>
    private static string Text(string key, string value, int max)
    {
        var length = Characters(value);
        if (length == 0) throw Invalid(key, value, $"is empty; expected 1 to {max} characters (remove the annotation for none)");
        if (length > max) throw Invalid(key, value, $"has {length} characters; at most {max} are allowed");
        if (StartsWithUrl(value)) throw Invalid(key, value, "must not start with http:// or https:// (cloud rule)");
        if (value.Any(char.IsControl)) throw Invalid(key, value, "must not contain control characters such as line breaks or tabs");
        return value;
    }

    private static IReadOnlyList<string> ProtectionList(string key, string value)
    {
        var allowed = $"expected a comma list with at most one of {string.Join(", ", ProtectionTypes)} (remove the annotation for Anti-DDoS Basic)";
        var entries = value.Split(',', StringSplitOptions.TrimEntries);
        if (entries.Any(e => e.Length == 0)) throw Invalid(key, value, $"has an empty entry; {allowed}");
        var list = new List<string>();
        foreach (var entry in entries)
        {
            var type = ProtectionTypes.FirstOrDefault(t => t.Equals(entry, StringComparison.OrdinalIgnoreCase))
                ?? throw Invalid(key, value, $"names an unknown protection type {CniInvocation.Printable(entry)}; {allowed}");
            if (list.Contains(type)) throw Invalid(key, value, $"lists {type} more than once; {allowed}");
            list.Add(type);
        }
        if (list.Count > 1) throw Invalid(key, value, $"lists {list.Count} protection types; the cloud accepts at most one; {allowed}");
        return list;
    }

    private static Dictionary<string, string> Tags(string key, string value)
    {
        const string shape = "expected a JSON object of string to string, e.g. {\"team\":\"web\"}";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(value);
        }
        catch (JsonException e)
        {
            throw new CniException(CniCode.InvalidConfig, $"invalid annotation {key}",
                $"{key}={CniInvocation.Printable(value)}: is not valid JSON ({e.Message}); {shape}", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid(key, value, $"is a JSON {Kind(root)}; {shape}");
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
            {
                var tag = CniInvocation.Printable(p.Name);
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw Invalid(key, value, $"tag {tag} has a {Kind(p.Value)} value; {shape}");
                var tagValue = p.Value.GetString()!;
                var error = TagKeyError(p.Name) ?? TagValueError(tagValue);
                if (error is not null) throw Invalid(key, value, $"tag {tag}: {error}");
                if (!tags.TryAdd(p.Name, tagValue)) throw Invalid(key, value, $"tag {tag} appears more than once");
            }
            if (tags.Count > MaxUserTags)
                throw Invalid(key, value, $"has {tags.Count} tags; at most {MaxUserTags} are allowed (an EIP carries at most 20 tags and eip-cni reserves 8 for its ownership tags)");
            return tags;
        }
    }

    private static string? TagKeyError(string tagKey)
    {
        var length = Characters(tagKey);
        if (string.IsNullOrWhiteSpace(tagKey)) return "the key is empty; keys have 1 to 128 characters";
        if (length > 128) return $"the key has {length} characters; at most 128 are allowed";
        if (tagKey.StartsWith("aliyun", StringComparison.OrdinalIgnoreCase) || tagKey.StartsWith("acs:", StringComparison.OrdinalIgnoreCase))
            return "keys starting with aliyun or acs: are reserved by Alibaba Cloud";
        if (tagKey.StartsWith(OwnershipTagPrefix, StringComparison.OrdinalIgnoreCase))
            return $"keys starting with {OwnershipTagPrefix} are reserved for eip-cni's ownership tags";
        if (ContainsUrl(tagKey)) return "the key must not contain http:// or https:// (cloud rule)";
        return null;
    }

    private static string? TagValueError(string tagValue)
    {
        var length = Characters(tagValue);
        if (length > 128) return $"the value has {length} characters; at most 128 are allowed";
        if (ContainsUrl(tagValue)) return "the value must not contain http:// or https:// (cloud rule)";
        return null;
    }

    private static bool StartsWithUrl(string s) =>
        s.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static bool ContainsUrl(string s) =>
        s.Contains("http://", StringComparison.OrdinalIgnoreCase) || s.Contains("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Characters as the cloud counts them: code points, so one emoji is one character.</summary>
    private static int Characters(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static CniException Invalid(string key, string value, string why) =>
        new(CniCode.InvalidConfig, $"invalid annotation {key}", $"{key}={CniInvocation.Printable(value)}: {why}");

    /// <summary>Looks names up with their precedence, remembering which keys were used and which were overruled.</summary>
    private sealed class Reader(IReadOnlyDictionary<string, string> annotations)
    {
        private readonly List<string> _warnings = [];
        private readonly List<string> _keys = [];

        public IReadOnlyList<string> Warnings => _warnings.ToArray();

        public IReadOnlyList<string> Keys => _keys.ToArray();

        public void Warn(string sentence) => _warnings.Add(sentence);

        public string KeyOf(string name, string? compat) => N.Lookup(annotations, name, compat)?.Key ?? N.NewPrefix + name;

        /// <summary>The winning (key, trimmed value), or null; warns about every other spelling with a different value.</summary>
        public (string Key, string Value)? Read(string name, string? compat = null, StringComparison comparison = StringComparison.Ordinal)
        {
            if (N.Lookup(annotations, name, compat) is not (var key, var raw)) return null;
            var value = raw.Trim();
            _keys.Add(key);
            foreach (var other in (string?[])[N.NewPrefix + name, N.OldPrefix + name, compat])
            {
                if (other is null || other == key || !annotations.TryGetValue(other, out var otherRaw)) continue;
                if (!otherRaw.Trim().Equals(value, comparison))
                    Warn($"{key}={CniInvocation.Printable(value)} is used and {other}={CniInvocation.Printable(otherRaw.Trim())} is ignored: {Precedence}");
            }
            return (key, value);
        }

        private const string Precedence = "network.alibabacloud.com/ wins over k8s.aliyun.com/, which wins over the compat names";
    }
}

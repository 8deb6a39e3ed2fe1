using EipCni.Cni;

namespace EipCni.Tests.Cni;

/// <summary>The pod identity in CNI_ARGS builds API paths, tags and journal fields: only valid Kubernetes names get through.</summary>
public class CniArgsTests
{
    private const string Uid = "0b5a4d3c-1e2f-4a6b-8c9d-0e1f2a3b4c5d";

    public static TheoryData<string, string> ValidIdentities => new()
    {
        { "default", "web-0" },
        { "kube-system", "coredns-5d78c9869d-abcde" },
        { "a", "a" },
        { "n" + new string('a', 61) + "1", "web.example.com" }, // 63
        { "x1", "a-very-long-pod-name-without-dots-is-valid-in-kubernetes-even-beyond-sixty-three-characters" },
    };

    [Theory]
    [MemberData(nameof(ValidIdentities))]
    public void Valid_identities_are_kept(string ns, string name)
    {
        var args = CniArgs.Parse($"IgnoreUnknown=1;K8S_POD_NAMESPACE={ns};K8S_POD_NAME={name};K8S_POD_UID={Uid}");
        Assert.Equal(ns, args.PodNamespace);
        Assert.Equal(name, args.PodName);
        Assert.Equal(Uid, args.PodUid);
        Assert.Null(args.InvalidIdentity);
        Assert.True(args.NamesPod);
    }

    [Theory]
    [InlineData("K8S_POD_NAMESPACE", "..")]
    [InlineData("K8S_POD_NAMESPACE", "kube-system/pods")]
    [InlineData("K8S_POD_NAMESPACE", "Default")]
    [InlineData("K8S_POD_NAMESPACE", "-ns")]
    [InlineData("K8S_POD_NAMESPACE", "ns-")]
    [InlineData("K8S_POD_NAMESPACE", "a.b")]
    [InlineData("K8S_POD_NAME", "..")]
    [InlineData("K8S_POD_NAME", ".")]
    [InlineData("K8S_POD_NAME", "web..0")]
    [InlineData("K8S_POD_NAME", "web/0")]
    [InlineData("K8S_POD_NAME", "web-0?x=1")]
    [InlineData("K8S_POD_NAME", "web%2F0")]
    [InlineData("K8S_POD_NAME", "web_0")]
    [InlineData("K8S_POD_NAME", "web.-0")]
    [InlineData("K8S_POD_UID", "../../x")]
    [InlineData("K8S_POD_UID", "0b5a4d3c1e2f4a6b8c9d0e1f2a3b4c5d")]
    [InlineData("K8S_POD_UID", "0b5a4d3c-1e2f-4a6b-8c9d-0e1f2a3b4c5g")]
    public void Invalid_values_are_named_and_never_handed_out(string key, string value)
    {
        var values = new Dictionary<string, string> { ["K8S_POD_NAMESPACE"] = "default", ["K8S_POD_NAME"] = "web-0", ["K8S_POD_UID"] = Uid };
        values[key] = value;
        var args = CniArgs.Parse(string.Join(";", values.Select(kv => $"{kv.Key}={kv.Value}")));

        var bad = Assert.NotNull(args.InvalidIdentity);
        Assert.Equal(key, bad.Key);
        Assert.StartsWith($"{key} \"{value}\" is not a valid", bad.Problem);
        Assert.Null(key switch { "K8S_POD_NAMESPACE" => args.PodNamespace, "K8S_POD_NAME" => args.PodName, _ => args.PodUid });
        Assert.True(args.NamesPod); // the runtime named a pod, which is why the engine refuses it instead of passing it through
    }

    [Fact]
    public void A_namespace_of_64_characters_is_refused()
    {
        var args = CniArgs.Parse("K8S_POD_NAMESPACE=n" + new string('a', 63) + ";K8S_POD_NAME=web-0");
        Assert.Null(args.PodNamespace);
        Assert.Contains("is longer than 63 characters", args.InvalidIdentity!.Value.Problem);
    }

    [Fact]
    public void A_name_of_254_characters_is_refused_and_253_accepted()
    {
        var ok = string.Join(".", Enumerable.Repeat(new string('a', 62), 4)) + ".a"; // 4 * 63 + 1 = 253
        Assert.Equal(253, ok.Length);
        Assert.Null(CniArgs.NameError(ok));
        Assert.Contains("longer than 253", CniArgs.NameError(ok + "a"));
    }
}

using System.Text.Json.Nodes;
using EipCni.Tests.Cni;
using EipCni.Tests.Kube;
using EipCni.Tests.Support;
using Xunit.Abstractions;
using static EipCni.Tests.E2e.FailureE2e;

namespace EipCni.Tests.E2e;

/// <summary>
/// The published binaries (eip-cni, then eip-cni-agent) against servers that answer too much: a 200 MB body, a page of
/// 300k EIPs, pages without end, a 200 MB metadata answer, a 200 MB pod. Every call must fail with one clear CNI error
/// inside its budget and a peak RSS (eip-cni and the engine, measured by GNU time) of at most 64 MB.
/// </summary>
public sealed class HostileAnswerTests : IDisposable
{
    private const long PeakRssLimitKiB = 64 * 1024;
    private const long Huge = 200L * 1024 * 1024;
    private const string PodIp = "10.250.0.7"; // eth0 of Golden/prev-1.0.0.json
    private const string Mac = "aa:bb:cc:dd:ee:03";
    private const string Eni = "eni-hostile";
    private const string AllocationId = "eip-hostile";

    private readonly ITestOutputHelper _output;
    private readonly PluginWorld _world = new PluginWorld().WithEniConf(
        """{"enable_eip_pool":"true","access_key":"LTAIhostile","access_secret":"hostile-secret","region_id":"cn-hangzhou"}""");
    private readonly HostileServer _cloud;
    private readonly HostileServer _kube;
    private readonly string _kubeconfig;
    private Func<HostileRequest, HostileAnswer?> _cloudHook = _ => null;
    private Func<HostileRequest, HostileAnswer?> _kubeHook = _ => null;
    private volatile bool _associated;

    public HostileAnswerTests(ITestOutputHelper output)
    {
        _output = output;
        _cloud = new HostileServer(r => _cloudHook(r) ?? CloudAnswer(r));
        var (ca, caKey) = TestPki.CreateCa("hostile-kube-ca");
        using (ca)
        using (caKey)
        {
            _kube = new HostileServer(r => _kubeHook(r) ?? KubeAnswer(r), TestPki.IssueServer(ca, caKey));
            _kubeconfig = Path.Combine(_world.Dir, "kubeconfig");
            File.WriteAllText(_kubeconfig, TestPki.Kubeconfig(_kube.Url,
                $"certificate-authority-data: {TestPki.Base64(ca.ExportCertificatePem())}", "token: hostile-test-token"));
        }
    }

    public void Dispose()
    {
        _cloud.Dispose();
        _kube.Dispose();
        _world.Dispose();
    }

    // ---- a cloud and an API server that behave, unless a test's hook answers first ----

    private HostileAnswer CloudAnswer(HostileRequest r)
    {
        if (r.Method == "PUT" && r.Path == "/latest/api/token") return HostileAnswer.Text("metadata-token");
        const string meta = "/latest/meta-data/";
        if (r.Path.StartsWith(meta, StringComparison.Ordinal))
        {
            var path = r.Path[meta.Length..];
            var eniPath = $"network/interfaces/macs/{Mac}/";
            if (path == "network/interfaces/macs/") return HostileAnswer.Text(Mac + "/\n");
            if (path == eniPath + "network-interface-id") return HostileAnswer.Text(Eni);
            if (path == eniPath + "primary-ip-address") return HostileAnswer.Text("10.250.0.2");
            if (path == eniPath + "private-ipv4s") return HostileAnswer.Text($"[\"10.250.0.2\",\"{PodIp}\"]");
            if (path == "instance-id") return HostileAnswer.Text("i-hostile");
            if (path == "region-id") return HostileAnswer.Text("cn-hangzhou");
            return HostileAnswer.Text("Not Found", 404);
        }
        switch (r.Action)
        {
            case "AllocateEipAddress":
                return HostileAnswer.Json($$"""{"RequestId":"req-allocate","AllocationId":"{{AllocationId}}","EipAddress":"203.0.113.7"}""");
            case "AssociateEipAddress":
                _associated = true;
                return HostileAnswer.Json("""{"RequestId":"req-associate"}""");
            case "UnassociateEipAddress":
                _associated = false;
                return HostileAnswer.Json("""{"RequestId":"req-unassociate"}""");
            case "DescribeEipAddresses":
                var items = r.Query("AllocationId").Contains(AllocationId, StringComparison.Ordinal) ? $"[{Eip(AllocationId, _associated)}]" : "[]";
                return HostileAnswer.Json($$$"""{"RequestId":"req-describe","TotalCount":{{{(items == "[]" ? 0 : 1)}}},"PageNumber":1,"PageSize":100,"EipAddresses":{"EipAddress":{{{items}}}}}""");
            case "DescribeNetworkInterfaces":
                return HostileAnswer.Json("""{"RequestId":"req-enis","NextToken":"","NetworkInterfaceSets":{"NetworkInterfaceSet":[]}}""");
            default:
                return HostileAnswer.Json("""{"RequestId":"req-ack"}""");
        }
    }

    private static string Eip(string id, bool inUse) => inUse
        ? $$"""{"AllocationId":"{{id}}","IpAddress":"203.0.113.7","Status":"InUse","InstanceId":"{{Eni}}","InstanceType":"NetworkInterface","PrivateIpAddress":"{{PodIp}}"}"""
        : $$"""{"AllocationId":"{{id}}","IpAddress":"203.0.113.7","Status":"Available"}""";

    private static HostileAnswer KubeAnswer(HostileRequest r)
    {
        if (r.Path.EndsWith("/events", StringComparison.Ordinal)) return HostileAnswer.Json("{}", 201);
        if (r.Path.StartsWith("/api/v1/namespaces/default/pods/web-0", StringComparison.Ordinal)) return HostileAnswer.Json(Pod("{}"));
        return HostileAnswer.Json("""{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""", 404);
    }

    private static string Pod(string annotations) =>
        $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"default","uid":"{{{CniChain.PodUid("web-0")}}}","resourceVersion":"1","annotations":{{{annotations}}}},"spec":{"nodeName":"node-1"},"status":{"phase":"Pending"}}""";

    // ---- running the plugin ----

    /// <summary>ADD of a pod asking for an EIP (annotations from the runtime unless <paramref name="fromApiServer"/>), measured.</summary>
    /// <param name="apiUrl">The VPC, ECS and STS endpoint when not the well-behaved cloud (the metadata service stays).</param>
    private (ProcessResult Result, long PeakRssKiB) Add(bool fromApiServer = false, string? apiUrl = null)
    {
        var conf = _world.Config();
        var api = apiUrl ?? _cloud.Url;
        conf["endpoints"] = new JsonObject { ["vpc"] = api, ["ecs"] = api, ["sts"] = api, ["metadata"] = _cloud.Url };
        conf["kubeconfig"] = _kubeconfig;
        conf["addTimeoutSeconds"] = 20;
        conf["delTimeoutSeconds"] = 5;
        if (!fromApiServer)
            conf["runtimeConfig"] = new JsonObject { ["io.kubernetes.cri.pod-annotations"] = new JsonObject { [WantsEip] = "true" } };
        var env = NativePlugin.Env("ADD");
        env["CNI_ARGS"] += ";K8S_POD_UID=" + CniChain.PodUid("web-0");
        var measured = NativePlugin.InvokeMeasured(env, conf.ToJsonString(), TimeSpan.FromMinutes(2));
        _output.WriteLine($"exit {measured.Result.ExitCode} in {measured.Result.Elapsed.TotalSeconds:0.0} s, peak RSS {measured.PeakRssKiB / 1024.0:0.0} MB: {measured.Result.Stdout}");
        return measured;
    }

    private static void AssertBounded((ProcessResult Result, long PeakRssKiB) run, TimeSpan within)
    {
        Assert.True(run.PeakRssKiB <= PeakRssLimitKiB, $"peak RSS {run.PeakRssKiB / 1024.0:0.0} MB is over {PeakRssLimitKiB / 1024} MB");
        Assert.True(run.Result.Elapsed < within, $"took {run.Result.Elapsed.TotalSeconds:0.0} s, more than {within.TotalSeconds} s");
    }

    private static HostileAnswer HugeJsonString(bool announceLength) =>
        HostileAnswer.Repeated("{\"RequestId\":\"req-huge\",\"Message\":\"", "x", Huge, "\"}", announceLength);

    // ---- the cases ----

    [Fact]
    public void A_well_behaved_server_binds_the_EIP()
    {
        var run = Add();

        Assert.True(run.Result.ExitCode == 0, run.Result.Stdout + string.Join("\n", _world.LogLines().TakeLast(10)));
        AssertBounded(run, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void A_200_MB_answer_announced_by_its_length_is_refused_before_it_is_read()
    {
        _cloudHook = r => r.Action == "AllocateEipAddress" ? HugeJsonString(announceLength: true) : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "AllocateEipAddress", "announces 200 MiB (Content-Length), more than the 64 KiB allowed");
        AssertBounded(run, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void A_200_MB_answer_without_a_length_is_read_only_up_to_the_cap()
    {
        _cloudHook = r => r.Action == "AssociateEipAddress" ? HugeJsonString(announceLength: false) : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "AssociateEipAddress", "larger than");
        AssertBounded(run, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void A_page_of_300k_EIPs_is_refused()
    {
        var item = Eip("eip-other", inUse: false) + ",";
        _cloudHook = r => r.Action == "DescribeEipAddresses" && _associated
            ? HostileAnswer.Repeated("""{"RequestId":"req-300k","TotalCount":300000,"PageNumber":1,"PageSize":100,"EipAddresses":{"EipAddress":[""",
                item, 300_000, Eip(AllocationId, true) + "]}}", announceLength: false)
            : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "DescribeEipAddresses", "larger than");
        AssertBounded(run, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void A_small_answer_holding_a_million_empty_objects_is_refused()
    {
        // 3 MB of "{}," under the byte cap: the shape of the answer, not its size, is what would cost the memory.
        _cloudHook = r => r.Action == "DescribeEipAddresses" && _associated
            ? HostileAnswer.Repeated("""{"RequestId":"req-empty","TotalCount":1,"EipAddresses":{"EipAddress":[""", "{},", 1_000_000,
                Eip(AllocationId, true) + "]}}")
            : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "DescribeEipAddresses");
        AssertBounded(run, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void An_endless_TotalCount_stops_at_the_page_cap()
    {
        var page = string.Join(",", Enumerable.Range(0, 100).Select(i => Eip($"eip-other-{i}", inUse: false)));
        _cloudHook = r => r.Action == "DescribeEipAddresses" && _associated
            ? HostileAnswer.Json($$$"""{"RequestId":"req-endless","TotalCount":2147483647,"PageNumber":{{{r.Query("PageNumber")}}},"PageSize":100,"EipAddresses":{"EipAddress":[{{{page}}}]}}""")
            : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "DescribeEipAddresses", "pages");
        var deepest = _cloud.Requests.Where(r => r.Action == "DescribeEipAddresses").Max(r => int.Parse(r.Query("PageNumber")));
        Assert.True(deepest <= 50, $"read page {deepest}");
        AssertBounded(run, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void Fat_pages_stop_at_the_listing_cap()
    {
        // Pages of 100 EIPs with 40 KB descriptions: each page is legal, together they would stay in memory.
        var fat = new string('d', 40 * 1024);
        var page = string.Join(",", Enumerable.Range(0, 100).Select(i =>
            $$"""{"AllocationId":"eip-fat-{{i}}","IpAddress":"203.0.113.1","Status":"Available","Description":"{{fat}}"}"""));
        _cloudHook = r => r.Action == "DescribeEipAddresses" && _associated
            ? HostileAnswer.Json($$$"""{"RequestId":"req-fat","TotalCount":100000,"PageSize":100,"EipAddresses":{"EipAddress":[{{{page}}}]}}""")
            : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "DescribeEipAddresses", "larger than 8 MiB together");
        AssertBounded(run, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void Endless_NextTokens_stop_at_the_page_cap()
    {
        // The metadata service knows no ENI of this pod IP, so ECS is asked, and it never stops paging.
        _cloudHook = r =>
            r.Path == "/latest/meta-data/network/interfaces/macs/" ? HostileAnswer.Text("") :
            r.Action == "DescribeNetworkInterfaces"
                ? HostileAnswer.Json($$$"""{"RequestId":"req-enis","NextToken":"t{{{Guid.NewGuid():N}}}","NetworkInterfaceSets":{"NetworkInterfaceSet":[]}}""")
                : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "DescribeNetworkInterfaces", "pages");
        Assert.InRange(_cloud.Count("DescribeNetworkInterfaces"), 1, 50);
        AssertBounded(run, TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_200_MB_metadata_answer_is_refused(bool announceLength)
    {
        _cloudHook = r => r.Path.StartsWith("/latest/", StringComparison.Ordinal) && r.Method == "GET"
            ? HostileAnswer.Repeated("", "a", Huge, "", announceLength, contentType: "text/plain")
            : null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 100, "metadata", "32 KiB allowed");
        AssertBounded(run, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_200_MB_pod_is_refused()
    {
        var halves = Pod("{\"network.alibabacloud.com/pod-with-eip\":\"true\",\"filler\":\"@\"}").Split('@');
        _kubeHook = r => r.Method == "GET" && r.Path == "/api/v1/namespaces/default/pods/web-0"
            ? HostileAnswer.Repeated(halves[0], "y", Huge, halves[1])
            : null;

        var run = Add(fromApiServer: true);

        NativePlugin.AssertError(run.Result, 107, "cannot read pod default/web-0", "4 MiB allowed");
        AssertBounded(run, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void A_pod_with_a_million_annotations_is_refused()
    {
        // Under the byte cap, but each "a1":"" becomes a dictionary entry: the shape is refused, not the size.
        var counter = 0;
        var annotations = string.Join(",", Enumerable.Range(0, 300_000).Select(_ => $"\"{counter++:x}\":\"\""));
        _kubeHook = r => r.Method == "GET" && r.Path == "/api/v1/namespaces/default/pods/web-0"
            ? HostileAnswer.Json(Pod($$"""{"network.alibabacloud.com/pod-with-eip":"true",{{annotations}}}"""))
            : null;

        var run = Add(fromApiServer: true);

        NativePlugin.AssertError(run.Result, 107, "cannot read pod default/web-0");
        AssertBounded(run, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void A_self_signed_cloud_endpoint_fails_at_once_naming_the_certificate_problem()
    {
        using var selfSigned = new HostileServer(_ => HostileAnswer.Json("""{"RequestId":"never"}"""), TestPki.SelfSignedServer());

        var run = Add(apiUrl: selfSigned.Url);

        NativePlugin.AssertError(run.Result, 100, $"TLS handshake with 127.0.0.1:{selfSigned.Port} failed", "UntrustedRoot");
        Assert.Empty(selfSigned.Requests);
        AssertBounded(run, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_metadata_credential_with_a_line_break_is_refused_before_any_call()
    {
        // No AccessKey in eni_conf: the node's RAM role from the metadata service, whose token would add a header line.
        _world.WithEniConf("""{"enable_eip_pool":"true","region_id":"cn-hangzhou"}""");
        _cloudHook = r =>
            r.Path == "/latest/meta-data/ram/security-credentials/" ? HostileAnswer.Text("NodeRole") :
            r.Path == "/latest/meta-data/ram/security-credentials/NodeRole" ? HostileAnswer.Json(
                """{"AccessKeyId":"STS.role","AccessKeySecret":"role-secret","SecurityToken":"tok\r\nX-Injected: yes","Expiration":"2099-01-01T00:00:00Z","Code":"Success"}""") :
            null;

        var run = Add();

        NativePlugin.AssertError(run.Result, 102, "SecurityToken of the instance RAM role credential from the metadata service contains a line break");
        Assert.DoesNotContain("X-Injected", run.Result.Stdout);
        Assert.DoesNotContain(_cloud.Requests, r => r.Action.Length > 0 || r.Headers.ContainsKey("x-injected"));
        AssertBounded(run, TimeSpan.FromSeconds(10));
    }
}

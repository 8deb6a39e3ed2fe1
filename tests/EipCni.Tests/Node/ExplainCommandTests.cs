using EipCni.Cni;
using EipCni.Node;

namespace EipCni.Tests.Node;

/// <summary><c>eip-cni-agent explain</c>: pod manifests judged under a scratch node's config, offline.</summary>
public class ExplainCommandTests
{
    private static (int Exit, string Output) Explain(OperatorNode node, string manifest)
    {
        var pod = PodManifest.Parse(manifest, "pod.yaml");
        var output = new StringWriter();
        var exit = PodExplanation.Explain(pod, NodeChain.Read(node.ConfDir).Conf, output);
        return (exit, output.ToString());
    }

    private static string Pod(string annotations, string owner = "") => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-0
          namespace: shop
          labels:
            app: web
          annotations:
        {annotations}
        {owner}
        spec:
          containers:
          - name: web
            image: "nginx:1.27"
            command: [sh, -c, "sleep 3600"]
            ports:
            - containerPort: 80
              protocol: TCP
            env:
            - name: MODE
              value: 'prod'
            args:
            - |
              multi
              line
        """;

    private const string StatefulSetOwner = """
          ownerReferences:
          - apiVersion: apps/v1
            kind: StatefulSet
            name: web
            uid: 6b1f3c1e-0000-4000-8000-000000000001
            controller: true
        """;

    private const string ReplicaSetOwner = """
          ownerReferences:
          - apiVersion: apps/v1
            kind: ReplicaSet
            name: web-7d4b9c
            uid: 6b1f3c1e-0000-4000-8000-000000000002
            controller: true
        """;

    [Fact]
    public void A_valid_request_lists_the_options_ADD_would_send()
    {
        using var node = new OperatorNode();
        var (exit, output) = Explain(node, Pod("""
                network.alibabacloud.com/pod-with-eip: "true"
                network.alibabacloud.com/eip-bandwidth: "20"
                network.alibabacloud.com/eip-internet-charge-type: PayByBandwidth
                network.alibabacloud.com/eip-isp: BGP_PRO
                network.alibabacloud.com/eip-common-bandwidth-package-id: cbwp-123
                network.alibabacloud.com/pod-eip-release-strategy: 10m
            """, StatefulSetOwner));

        Assert.Equal(0, exit);
        Assert.Equal(
            "pod shop/web-0, owned by StatefulSet web\n" +
            "ADD would allocate an EIP and bind it to the pod's IP:\n" +
            "  Bandwidth               20 Mbit/s\n" +
            "  InternetChargeType      PayByBandwidth\n" +
            "  InstanceChargeType      PostPaid\n" +
            "  ISP                     BGP_PRO\n" +
            "  Name                    shop/web-0\n" +
            "  Description             eip-cni: pod shop/web-0 of cluster c-test\n" +
            "  bandwidth package       cbwp-123 (joined after allocation, left before release)\n" +
            "  release strategy        10m0s (kept that long for the next pod of this name)\n" +
            $"  ownership tags          cluster c-test, pod shop/web-0, node {NodeDirs.NodeName}\n" +
            "ADD would proceed\n", output);
    }

    [Fact]
    public void An_invalid_bandwidth_fails_with_ADDs_own_error()
    {
        using var node = new OperatorNode();
        var annotations = new Dictionary<string, string>
        {
            ["network.alibabacloud.com/pod-with-eip"] = "true",
            ["network.alibabacloud.com/eip-bandwidth"] = "0",
        };
        var expected = Assert.Throws<CniException>(() => EipRequestParser.Parse(annotations));

        var (exit, output) = Explain(node, Pod("""
                network.alibabacloud.com/pod-with-eip: "true"
                network.alibabacloud.com/eip-bandwidth: "0"
            """));

        Assert.Equal(1, exit);
        Assert.EndsWith($"ADD would fail with error 7: {expected.Message}: {expected.Details}\n", output);
        Assert.Contains("network.alibabacloud.com/eip-bandwidth", output);
    }

    [Fact]
    public void The_release_strategy_of_a_Deployment_pod_is_ignored_with_ADDs_warning()
    {
        using var node = new OperatorNode();
        var (exit, output) = Explain(node, Pod("""
                network.alibabacloud.com/pod-with-eip: "true"
                network.alibabacloud.com/pod-eip-release-strategy: Never
            """, ReplicaSetOwner));

        Assert.Equal(0, exit);
        Assert.Contains("  release strategy        Follow (released with the pod)\n", output);
        Assert.Contains("ignored: pod-eip-release-strategy Never applies only to pods owned by StatefulSet; this pod is owned by ReplicaSet, so its EIP follows the pod\n", output);
        Assert.EndsWith("ADD would proceed\n", output);
    }

    [Fact]
    public void With_the_feature_off_in_eni_conf_nothing_happens()
    {
        using var node = new OperatorNode();
        node.WriteEniConf("""{"enable_eip_pool":"false"}""");
        var (exit, output) = Explain(node, Pod("""
                network.alibabacloud.com/pod-with-eip: "true"
                network.alibabacloud.com/eip-bandwidth: "0"
            """));

        Assert.Equal(0, exit);
        Assert.Equal("pod shop/web-0, owned by nothing\n" +
            $"the EIP feature is off: enable_eip_pool is not true in eni_conf {node.EniConfPath}\n" +
            "ADD would pass the pod through: no EIP, no cloud call\n", output);
    }

    [Fact]
    public void A_user_eip_is_bound_and_creation_options_are_ignored()
    {
        using var node = new OperatorNode();
        var (exit, output) = Explain(node, Pod("""
                network.alibabacloud.com/pod-eip-instanceid: eip-user1
                network.alibabacloud.com/eip-bandwidth: "50"
            """));

        Assert.Equal(0, exit);
        Assert.Contains("ADD would bind the user's EIP eip-user1 to the pod's IP; it is never modified or released\n", output);
        Assert.Contains("ignored: ", output);
    }

    [Fact]
    public void A_pod_that_does_not_ask_passes_through()
    {
        using var node = new OperatorNode();
        var (exit, output) = Explain(node, Pod("    app.kubernetes.io/name: web"));
        Assert.Equal(0, exit);
        Assert.EndsWith("ADD would pass the pod through: no EIP, no cloud call\n", output);
    }

    [Fact]
    public void Kubectl_json_output_is_read_too()
    {
        var pod = PodManifest.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"shop",
             "annotations":{"network.alibabacloud.com/pod-with-eip":"true"},
             "ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"web","uid":"u","controller":true,"blockOwnerDeletion":true}]},
             "spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}]}]}}
            """, "pod.json");
        Assert.Equal(new PodManifest("shop", "web-0", pod.Annotations, "StatefulSet", "web"), pod);
        Assert.Equal("true", pod.Annotations["network.alibabacloud.com/pod-with-eip"]);
    }

    [Fact]
    public void Something_else_than_a_pod_is_refused()
    {
        var e = Assert.Throws<PodManifestException>(() => PodManifest.Parse("kind: Deployment\nmetadata:\n  name: x\n", "d.yaml"));
        Assert.Equal("d.yaml holds a Deployment, not a Pod", e.Message);
    }
}

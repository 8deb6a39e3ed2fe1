using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EipCni.Eip;
using EipCni.Node;
using EipCni.Tests.Support;
using static EipCni.Tests.Node.ConfYaml;

namespace EipCni.Tests.Node;

/// <summary>
/// conf/, what an operator applies, checked against the code it drives: every JSON parses, every YAML document parses
/// (with the repository's own YAML reader) and has apiVersion, kind and name; the commands and flags the manifests run
/// exist in the published eip-cni-agent; the RAM policies grant exactly the actions the cloud client calls; the
/// DaemonSet's mounts, names and privileges agree with the plugin config and RBAC.
/// </summary>
public partial class ConfManifestTests
{
    /// <summary>Subcommands the manifests and docs may name before the CLI has them (SPEC §7: the agent's coming modes).</summary>
    private static readonly string[] Coming = [];

    private static string Agent => Path.Combine(Path.GetDirectoryName(Repo.PluginBinary)!, "eip-cni-agent");

    /// <summary>The subcommand's help, or null when the CLI does not know it (it then shows the root help, also with exit code 0).</summary>
    private static string? Help(string sub)
    {
        var r = ProcessRunner.Run(Agent, [sub, "--help"]);
        return r.ExitCode == 0 && r.Stdout.Contains($"Usage:\n  eip-cni-agent {sub} ", StringComparison.Ordinal) ? r.Stdout : null;
    }

    private static IEnumerable<string> ConfFiles(string pattern) => Directory.EnumerateFiles(Conf, pattern).Order(StringComparer.Ordinal);

    private static IEnumerable<Dictionary<string, object?>> Containers(Dictionary<string, object?> workload) =>
        Maps(At(workload, "spec", "template", "spec", "initContainers")).Concat(Maps(At(workload, "spec", "template", "spec", "containers")));

    [Fact]
    public void Every_json_file_parses()
    {
        foreach (var file in ConfFiles("*.json").Concat(ConfFiles("*.conflist")))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        }
    }

    [Fact]
    public void Every_yaml_document_parses_and_names_its_kind()
    {
        var documents = Documents();
        Assert.NotEmpty(documents);
        foreach (var (file, doc) in documents)
        {
            Assert.False(string.IsNullOrEmpty(At(doc, "apiVersion") as string), $"{file}: apiVersion");
            Assert.False(string.IsNullOrEmpty(At(doc, "kind") as string), $"{file}: kind");
            Assert.False(string.IsNullOrEmpty(At(doc, "metadata", "name") as string), $"{file}: metadata.name");
        }
    }

    [Fact]
    public void Every_eip_cni_agent_command_in_the_manifests_exists_with_its_flags()
    {
        var checkedCommands = 0;
        foreach (var (file, doc) in Documents())
        {
            foreach (var container in Containers(doc))
            {
                var argv = Strings(container.GetValueOrDefault("command")).Concat(Strings(container.GetValueOrDefault("args"))).ToList();
                if (argv.Count == 0 || Path.GetFileName(argv[0]) != "eip-cni-agent") continue;
                var sub = argv[1];
                var help = Help(sub);
                if (help is null && Coming.Contains(sub)) continue; // not built yet: checked once it is
                Assert.True(help is not null, $"{file}: eip-cni-agent has no subcommand {sub}");
                foreach (var flag in argv.Skip(2).Where(a => a.StartsWith("--", StringComparison.Ordinal)))
                    Assert.True(help.Contains(flag + " ", StringComparison.Ordinal), $"{file}: eip-cni-agent {sub} has no {flag}");
                checkedCommands++;
            }
        }
        Assert.True(checkedCommands >= 2, "the DaemonSet's install and uninstall.yaml's uninstall were checked");
    }

    [Fact]
    public void Every_eip_cni_agent_subcommand_the_docs_name_exists()
    {
        var docs = ConfFiles("*.md").Append(Path.Combine(Repo.Root, "README.md")).Append(Path.Combine(Conf, "Dockerfile"));
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in docs)
        {
            foreach (Match m in SubcommandPattern().Matches(File.ReadAllText(file)))
            {
                var sub = m.Groups[1].Value;
                if (Coming.Contains(sub) || !known.Add(sub)) continue;
                Assert.True(Help(sub) is not null, $"{Path.GetFileName(file)} names `eip-cni-agent {sub}`, which does not exist");
            }
        }
        Assert.Contains("install", known);
        Assert.Contains("uninstall", known);
    }

    /// <summary>A command, not prose: after a backtick, or at the start of a line of a code block (maybe after "$ ").</summary>
    [GeneratedRegex(@"(?:`|^[ \t]*(?:\$ )?)(?:\S*/)?eip-cni-agent ([a-z][a-z-]*)", RegexOptions.Multiline)]
    private static partial Regex SubcommandPattern();

    [Fact]
    public void The_ram_policies_grant_exactly_the_actions_the_cloud_client_calls()
    {
        var cloud = Path.Combine(Repo.Root, "src", "EipCni.Cloud");
        var called = Regex.Matches(File.ReadAllText(Path.Combine(cloud, "EipCloud.cs")), @"(?:Ack|Call)Async\(""([A-Za-z]+)""").Select(m => "vpc:" + m.Groups[1].Value)
            .Concat(Regex.Matches(File.ReadAllText(Path.Combine(cloud, "EcsCloud.cs")), @"new RpcCall\(endpoints\.Ecs, ""([A-Za-z]+)""").Select(m => "ecs:" + m.Groups[1].Value))
            .ToHashSet();
        Assert.Equal(9, called.Count); // docs/cloud-api.md §3

        foreach (var name in new[] { "ram-policy.json", "ram-policy-scoped.json" })
        {
            var policy = JsonNode.Parse(File.ReadAllText(Path.Combine(Conf, name)))!;
            Assert.Equal("1", (string)policy["Version"]!);
            var statements = policy["Statement"]!.AsArray();
            Assert.All(statements, s => Assert.Equal("Allow", (string)s!["Effect"]!));
            var granted = statements.SelectMany(s => s!["Action"]!.AsArray().Select(a => (string)a!)).ToList();
            Assert.Equal(granted.Count, granted.Distinct().Count());
            Assert.True(called.SetEquals(granted), $"{name} grants {string.Join(", ", granted.Order())}; the code calls {string.Join(", ", called.Order())}");
        }
    }

    [Fact]
    public void The_scoped_policy_conditions_destructive_actions_on_the_plugins_cluster_tag()
    {
        var statements = JsonNode.Parse(File.ReadAllText(Path.Combine(Conf, "ram-policy-scoped.json")))!["Statement"]!.AsArray();
        string? Condition(string action, string key) => statements
            .Where(s => s!["Action"]!.AsArray().Any(a => (string)a! == action))
            .Select(s => (string?)s!["Condition"]?["StringEquals"]?[key]).Single();

        var resourceTag = "acs:ResourceTag/" + OwnershipTags.Cluster;
        foreach (var action in new[] { "vpc:ReleaseEipAddress", "vpc:UnassociateEipAddress", "vpc:AddCommonBandwidthPackageIp", "vpc:RemoveCommonBandwidthPackageIp" })
            Assert.False(string.IsNullOrEmpty(Condition(action, resourceTag)), action);
        Assert.False(string.IsNullOrEmpty(Condition("vpc:AllocateEipAddress", "acs:RequestTag/" + OwnershipTags.Cluster)));
        // The example cluster ID is the one the plugin config and eni-config carry.
        Assert.Equal(PluginJson()["clusterId"]!.GetValue<string>(), Condition("vpc:ReleaseEipAddress", resourceTag));
    }

    private static JsonObject PluginJson()
    {
        var data = Assert.IsType<string>(At(Find("ConfigMap", "eip-cni-plugin-config").Doc, "data", "plugin.json"));
        return JsonNode.Parse(data)!.AsObject();
    }

    [Fact]
    public void The_plugin_config_is_one_eip_cni_accepts()
    {
        var entry = PluginEntry.Build(PluginJson(), null, "cn-hangzhou.10.0.1.5");
        PluginEntry.Check(entry, "terway", "0.4.0", "conf/plugin-config.yaml");
    }

    [Fact]
    public void The_daemonset_mounts_what_the_plugin_config_names_and_runs_without_privileges()
    {
        var (_, ds) = Find("DaemonSet", "eip-cni-agent");
        var spec = At(ds, "spec", "template", "spec");
        Assert.Equal("true", At(spec, "hostNetwork"));
        Assert.Equal("system-node-critical", At(spec, "priorityClassName"));
        Assert.Equal("Exists", Maps(At(spec, "tolerations")).Single()["operator"]);
        Assert.Equal("10%", At(ds, "spec", "updateStrategy", "rollingUpdate", "maxUnavailable"));

        var hostPaths = Maps(At(spec, "volumes")).Where(v => v.ContainsKey("hostPath")).ToDictionary(v => (string)v["name"]!, v => (string)At(v, "hostPath", "path")!);
        Assert.Equal(["/etc/cni/net.d", "/etc/eni", "/opt/cni/bin", "/var/lib/cni/eip-cni", "/var/log/eip-cni"], hostPaths.Values.Order(StringComparer.Ordinal));
        var plugin = PluginJson();
        Assert.Equal(hostPaths["state"], (string)plugin["stateDir"]!);
        Assert.Equal(hostPaths["log"], Path.GetDirectoryName((string)plugin["logFile"]!));

        var containers = Containers(ds).ToList();
        Assert.Equal(2, containers.Count);
        foreach (var container in containers)
        {
            var security = container["securityContext"];
            Assert.Equal("0", At(security, "runAsUser"));
            Assert.Equal("false", At(security, "privileged"));
            Assert.Equal("false", At(security, "allowPrivilegeEscalation"));
            Assert.Equal("true", At(security, "readOnlyRootFilesystem"));
            Assert.Equal(["ALL"], Strings(At(security, "capabilities", "drop")));
            Assert.Null(At(security, "capabilities", "add")); // measured: InstallCliTests.Install_needs_no_capability
            Assert.Equal("RuntimeDefault", At(security, "seccompProfile", "type"));
            Assert.NotNull(At(container, "resources", "requests", "memory"));
            Assert.NotNull(At(container, "resources", "limits", "memory"));
            var args = Strings(container["args"]).ToList();
            Assert.Equal("/host/opt/cni/bin", args[args.IndexOf("--cni-bin-dir") + 1]);
            Assert.Equal("/host/etc/cni/net.d", args[args.IndexOf("--cni-conf-dir") + 1]);
            Assert.Equal("/etc/eip-cni/plugin.json", args[args.IndexOf("--plugin-config") + 1]);
            Assert.Equal("$(NODE_NAME)", args[args.IndexOf("--node-name") + 1]);
            Assert.Equal("spec.nodeName", At(Maps(container["env"]).Single(e => (string)e["name"]! == "NODE_NAME"), "valueFrom", "fieldRef", "fieldPath"));
        }
        var agent = containers.Single(c => (string)c["name"]! == "agent");
        Assert.Equal("/healthz", At(agent, "livenessProbe", "httpGet", "path"));
        Assert.Equal("9767", At(agent, "livenessProbe", "httpGet", "port"));
        Assert.Equal("/healthz", At(agent, "readinessProbe", "httpGet", "path"));
        Assert.Equal("eip-cni-plugin-config", Maps(At(spec, "volumes")).Single(v => (string)v["name"]! == "plugin-config")["configMap"] is Dictionary<string, object?> cm ? cm["name"] : null);
    }

    [Fact]
    public void The_daemonsets_identity_and_the_plugins_are_the_ones_rbac_yaml_grants()
    {
        var (_, ds) = Find("DaemonSet", "eip-cni-agent");
        Assert.Equal("eip-cni-agent", At(ds, "spec", "template", "spec", "serviceAccountName"));
        Find("ServiceAccount", "eip-cni-agent");
        Find("ServiceAccount", "eip-cni-plugin");

        // resourceNames pin the very objects the agent's components use by default.
        var agentRole = Find("Role", "eip-cni-agent").Doc;
        string[] Names(string resource, string verb) =>
            [.. Maps(agentRole["rules"]).Where(r => Strings(r["resources"]).Contains(resource) && Strings(r["verbs"]).Contains(verb)).SelectMany(r => Strings(r["resourceNames"]))];
        Assert.Equal([new PluginIdentityOptions().ServiceAccountName], Names("serviceaccounts/token", "create"));
        Assert.Equal([new EniConfSyncOptions().Name], Names("configmaps", "watch"));
        var lease = new LeaderElectionOptions { Identity = "x" };
        Assert.Equal([lease.Name], Names("leases", "update"));
        Assert.Equal([lease.Name], Names("leases", "get"));
        Assert.Equal(lease.Namespace, At(agentRole, "metadata", "namespace"));

        // The plugin's ClusterRole: exactly what src/EipCni.Kube/KubeClient*.cs calls.
        var plugin = Maps(Find("ClusterRole", "eip-cni-plugin").Doc["rules"])
            .SelectMany(r => Strings(r["resources"]).SelectMany(res => Strings(r["verbs"]).Select(v => $"{Strings(r["apiGroups"]).Single()}/{res}:{v}")))
            .Order(StringComparer.Ordinal);
        Assert.Equal(["/events:create", "/pods/status:patch", "/pods:get", "/pods:patch"], plugin);
    }

    [Fact]
    public void The_dockerfile_publishes_both_executables_and_runs_the_agent()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Conf, "Dockerfile"));
        Assert.Contains("for p in EipCni:eip-cni EipCni.Agent:eip-cni-agent", dockerfile);
        Assert.Contains("COPY --from=build /out/eip-cni /out/eip-cni-agent /usr/local/bin/", dockerfile);
        Assert.Contains("ENTRYPOINT [\"/usr/local/bin/eip-cni-agent\"]", dockerfile);
        foreach (Match m in Regex.Matches(dockerfile, @"^COPY (?!--from)(.+) \S+$", RegexOptions.Multiline))
            foreach (var source in m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.True(File.Exists(Path.Combine(Repo.Root, source)) || Directory.Exists(Path.Combine(Repo.Root, source)), $"COPY {source}: not in the repository");
        foreach (Match m in Regex.Matches(dockerfile, @"""src/\$\{p%%:\*\}""")) Assert.True(m.Success);
        Assert.True(File.Exists(Path.Combine(Repo.Root, "src", "EipCni", "EipCni.csproj")) && File.Exists(Path.Combine(Repo.Root, "src", "EipCni.Agent", "EipCni.Agent.csproj")));
    }
}

using System.Xml.Linq;
using EipCni.Tests.Support;

namespace EipCni.Tests.House;

/// <summary>
/// The rooms of src/ are projects, so the compiler enforces who may use whom; this pins the graph itself, so a new
/// reference that breaks a rule (the hot path linking HTTP, the cloud knowing the journal) fails here with its name.
/// </summary>
public class ProjectGraphTests
{
    /// <summary>Every src project and exactly the projects it may reference directly.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["EipCni.Cni"] = [],
        ["EipCni.State"] = ["EipCni.Cni"],
        ["EipCni.Http"] = ["EipCni.Cni"],
        ["EipCni.Cloud"] = ["EipCni.Cni", "EipCni.Http"],
        ["EipCni.Kube"] = ["EipCni.Cni", "EipCni.Http"],
        ["EipCni.Plugin"] = ["EipCni.Cni", "EipCni.State"],
        ["EipCni.Eip"] = ["EipCni.Plugin", "EipCni.Cloud", "EipCni.Kube"],
        ["EipCni.Node"] = ["EipCni.Eip"],
        ["EipCni"] = ["EipCni.Plugin"],
        ["EipCni.Agent"] = ["EipCni.Node"],
    };

    private static string ProjectFile(string name) => Path.Combine(Repo.Root, "src", name, name + ".csproj");

    private static IEnumerable<string> References(string name) =>
        XDocument.Load(ProjectFile(name)).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value));

    private static IEnumerable<string> Packages(string name) =>
        XDocument.Load(ProjectFile(name)).Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value);

    private static HashSet<string> Closure(string name)
    {
        var seen = new HashSet<string>();
        var todo = new Stack<string>([name]);
        while (todo.TryPop(out var p))
            foreach (var r in References(p))
                if (seen.Add(r)) todo.Push(r);
        return seen;
    }

    [Fact]
    public void Every_src_project_is_in_the_rule_table()
    {
        var projects = Directory.GetDirectories(Path.Combine(Repo.Root, "src")).Select(Path.GetFileName).Where(d => File.Exists(ProjectFile(d!))).Order();
        Assert.Equal(Allowed.Keys.Order(), projects);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void References_only_what_its_room_may_use(string project) =>
        Assert.Empty(References(project).Except(Allowed[project]));

    public static TheoryData<string> Names() => new(Allowed.Keys);

    [Fact]
    public void The_hot_path_cannot_link_http_tls_the_cloud_or_kubernetes()
    {
        var graph = Closure("EipCni");
        Assert.Equal(["EipCni.Cni", "EipCni.Plugin", "EipCni.State"], graph.Order());
        // ...and none of them brings a package beyond the libc constants.
        Assert.Equal(["Tmds.LibC"], graph.Append("EipCni").SelectMany(Packages).Distinct());
    }

    [Fact]
    public void The_cloud_and_kubernetes_clients_know_nothing_of_the_journal_or_each_other()
    {
        Assert.DoesNotContain("EipCni.State", Closure("EipCni.Cloud"));
        Assert.DoesNotContain("EipCni.Kube", Closure("EipCni.Cloud"));
        Assert.DoesNotContain("EipCni.State", Closure("EipCni.Kube"));
        Assert.DoesNotContain("EipCni.Cloud", Closure("EipCni.Kube"));
    }

    [Fact]
    public void Exactly_two_executables_are_built()
    {
        // An executable is published through src/NativeAot.props (or says OutputType Exe itself).
        var exes = Allowed.Keys.Where(p => XDocument.Load(ProjectFile(p)).Descendants("OutputType").Any(o => o.Value == "Exe")
                || XDocument.Load(ProjectFile(p)).Descendants("Import").Any(i => i.Attribute("Project")!.Value.EndsWith("NativeAot.props")))
            .Select(p => XDocument.Load(ProjectFile(p)).Descendants("AssemblyName").Single().Value).Order();
        Assert.Equal(["eip-cni", "eip-cni-agent"], exes);
    }
}

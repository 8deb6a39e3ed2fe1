using System.Net;
using System.Text.Json.Nodes;

namespace CriClient;

/// <summary>
/// The CNI side of a containerd test: a bin dir with Debian's reference plugins linked in, a conf dir, and a bridge +
/// host-local network with a unique name, bridge and IPAM store, so parallel tests never share state. Dispose removes
/// the bridge and the directories.
/// </summary>
public sealed class CniNetwork : IDisposable
{
    /// <summary>Where Debian's containernetworking-plugins puts the reference plugins.</summary>
    public const string ReferencePluginDir = "/usr/lib/cni";

    public CniNetwork(string subnet, string cniVersion = "1.0.0")
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        Dir = Directory.CreateTempSubdirectory("eipcni-cni-").FullName;
        Name = "crinet-" + suffix;
        Bridge = "cribr" + suffix;
        Subnet = subnet;
        CniVersion = cniVersion;
        Directory.CreateDirectory(BinDir);
        Directory.CreateDirectory(ConfDir);
        foreach (var p in new[] { "bridge", "host-local", "loopback", "portmap" }) LinkPlugin(p, Path.Combine(ReferencePluginDir, p));
    }

    public string Dir { get; }
    public string Name { get; }
    public string Bridge { get; }
    public string Subnet { get; }
    public string CniVersion { get; }
    public string BinDir => Path.Combine(Dir, "bin");
    public string ConfDir => Path.Combine(Dir, "net.d");
    public string IpamDir => Path.Combine(Dir, "ipam");

    /// <summary>The conflist the runtime loads (the only file in the conf dir with a CNI extension).</summary>
    public string ConflistPath => Path.Combine(ConfDir, "10-" + Name + ".conflist");

    /// <summary>Puts a plugin into the bin dir under <paramref name="type"/> (a symbolic link to <paramref name="path"/>).</summary>
    public void LinkPlugin(string type, string path)
    {
        var link = Path.Combine(BinDir, type);
        if (File.Exists(link) || Directory.Exists(link)) File.Delete(link);
        File.CreateSymbolicLink(link, path);
    }

    /// <summary>The first plugin: bridge with host-local IPAM in our store; no gateway address, so subnets never clash on the host.</summary>
    public JsonObject BridgePlugin() => new()
    {
        ["type"] = "bridge",
        ["bridge"] = Bridge,
        ["isGateway"] = false,
        ["ipMasq"] = false,
        ["ipam"] = new JsonObject
        {
            ["type"] = "host-local",
            ["dataDir"] = IpamDir,
            ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = Subnet })),
        },
    };

    /// <summary>The conflist: bridge first, then <paramref name="chained"/> in order.</summary>
    public JsonObject Conflist(params JsonObject[] chained)
    {
        var plugins = new JsonArray(BridgePlugin());
        foreach (var p in chained) plugins.Add(p);
        return new JsonObject { ["cniVersion"] = CniVersion, ["name"] = Name, ["plugins"] = plugins };
    }

    /// <summary>
    /// Writes the conflist of bridge then <paramref name="chained"/> as an installer should: a temporary file the runtime does not load (a dot name without a
    /// CNI extension) renamed over the target, so the runtime never reads half a file.
    /// </summary>
    public void WriteChain(params JsonObject[] chained) => WriteConflist(Conflist(chained));

    /// <summary>Writes <paramref name="conflist"/> as is, by the same rename.</summary>
    public void WriteConflist(JsonObject conflist)
    {
        var temp = Path.Combine(ConfDir, ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(temp, conflist.ToJsonString());
        File.Move(temp, ConflistPath, overwrite: true);
    }

    /// <summary>The addresses host-local holds for this network (one file per address, holding the container ID).</summary>
    public IReadOnlyDictionary<string, string> Reservations()
    {
        var store = Path.Combine(IpamDir, Name);
        if (!Directory.Exists(store)) return new Dictionary<string, string>();
        return Directory.GetFiles(store).Where(f => IPAddress.TryParse(Path.GetFileName(f), out _))
            .ToDictionary(f => Path.GetFileName(f), f => File.ReadAllLines(f).FirstOrDefault() ?? "");
    }

    /// <summary>Whether <paramref name="ip"/> lies in <see cref="Subnet"/>.</summary>
    public bool Contains(string ip) => IPAddress.TryParse(ip, out var a) && IPNetwork.Parse(Subnet).Contains(a);

    public void Dispose()
    {
        try
        {
            HostCommand.RunAsync("ip", ["link", "del", Bridge], TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is TimeoutException or System.ComponentModel.Win32Exception)
        {
            // no ip(8) or a hung one: the directory still goes
        }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

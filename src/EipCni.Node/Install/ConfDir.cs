using System.Text;

namespace EipCni.Node;

/// <summary>
/// The CNI config directory as the runtime reads it. containerd's CRI (go-cni <c>loadFromConfDir</c>) lists it with
/// libcni's <c>ConfFiles(dir, [".conf", ".conflist", ".json"])</c>, sorts the paths with Go's <c>sort.Strings</c> and
/// loads the first one only (<c>max_conf_num</c> 1); CRI-O and cnitool agree on the first file. So the file that matters
/// is the lexically first loadable one, and a file whose name ends otherwise (<c>.tmp</c>, <c>.eip-cni-backup</c>) is
/// invisible to the runtime.
/// </summary>
public static class ConfDir
{
    /// <summary>What libcni's <c>ConfFiles</c> matches against Go's <c>filepath.Ext</c> (the suffix from the last dot).</summary>
    public static readonly string[] Extensions = [".conf", ".conflist", ".json"];

    public static bool IsLoadable(string fileName) => Array.IndexOf(Extensions, Path.GetExtension(fileName)) >= 0;

    /// <summary>
    /// The loadable file names in the runtime's order. As <c>os.ReadDir</c> + <c>IsDir</c>: an entry is skipped only when
    /// it is itself a directory (a symbolic link is listed, whatever it points to). An absent directory has none.
    /// </summary>
    public static List<string> LoadableFiles(string dir)
    {
        var names = new List<string>();
        if (!Directory.Exists(dir)) return names;
        foreach (var path in Directory.EnumerateFileSystemEntries(dir))
        {
            var name = Path.GetFileName(path);
            if (!IsLoadable(name)) continue;
            if (Libc.lstat(path, out var st) == 0 && Libc.IsDirectory(st)) continue;
            names.Add(name);
        }
        names.Sort(CompareAsGo);
        return names;
    }

    /// <summary>Go compares strings byte by byte (UTF-8), which differs from UTF-16 ordinal order above U+D7FF.</summary>
    public static int CompareAsGo(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
}

using System.Security.Cryptography;
using System.Text;

namespace EipCni.State;

/// <summary>Identity of one attachment, as CNI defines it: (network, container ID, interface). Never the pod name.</summary>
public sealed record AttachmentKey(string Network, string ContainerId, string IfName)
{
    /// <summary>
    /// Longest stem used as is. A file name may hold 255 bytes and the journal adds a suffix (".json", ".lock", a
    /// temp file's random part); CNI allows container IDs of any length, and runtimes send 64.
    /// </summary>
    private const int MaxPlainStem = 160;

    /// <summary>
    /// File-name stem; '@' cannot appear in a container ID, so the split is unambiguous. A longer ID keeps a prefix and
    /// a hash of the whole attachment, so the name stays short and distinct; the record itself holds the full ID.
    /// </summary>
    public string FileStem
    {
        get
        {
            var plain = $"{ContainerId}@{IfName}";
            if (plain.Length <= MaxPlainStem) return plain;
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plain)))[..32];
            return $"{ContainerId[..64]}~{hash}@{IfName}";
        }
    }

    public override string ToString() => $"{Network}/{ContainerId}/{IfName}";
}

using System.Security.Cryptography;
using System.Text;

namespace EipCni.Eip;

/// <summary>
/// ClientTokens derived from the attachment, so a retried ADD (even after a crash that lost the journal) replays the
/// same AllocateEipAddress instead of creating a second EIP. The generation changes only when the EIP a token
/// created is known to be gone.
/// </summary>
public static class ClientTokens
{
    public static string Allocate(string clusterId, string network, string containerId, string ifName, int generation) =>
        Derive("allocate", clusterId, network, containerId, ifName, generation.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>One token per association started by a record: replaying it later tells whether a lost Associate landed.</summary>
    public static string Associate(string clusterId, string network, string containerId, string ifName, string allocationId, string eniId, string ip, int seq) =>
        Derive("associate", clusterId, network, containerId, ifName, allocationId, eniId, ip, seq.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string AddToPackage(string clusterId, string network, string containerId, string ifName, string allocationId, string packageId) =>
        Derive("cbwp-add", clusterId, network, containerId, ifName, allocationId, packageId);

    private static string Derive(params string[] parts)
    {
        // NUL never occurs in the parts, so different tuples never collide by concatenation.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', parts)));
        return "eipcni-" + Convert.ToHexStringLower(hash)[..48]; // ASCII, 55 characters: within the 64 allowed
    }
}

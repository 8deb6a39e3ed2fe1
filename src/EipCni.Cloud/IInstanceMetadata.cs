using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using EipCni.Http;

namespace EipCni.Cloud;

/// <summary>The ECS instance metadata service (read-only facts about this node).</summary>
public interface IInstanceMetadata
{
    /// <summary>The trimmed text at <c>/latest/meta-data/{path}</c>.</summary>
    Task<string> GetAsync(string path, CancellationToken cancellationToken);
    Task<string> GetRegionIdAsync(CancellationToken cancellationToken);
    Task<string> GetInstanceIdAsync(CancellationToken cancellationToken);
    Task<string> GetVpcIdAsync(CancellationToken cancellationToken);
    /// <summary>MACs of every ENI attached to this instance.</summary>
    Task<IReadOnlyList<string>> GetMacsAsync(CancellationToken cancellationToken);
    Task<MetadataEni> GetEniAsync(string mac, CancellationToken cancellationToken);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// Finds the ENI of a pod IP: the instance metadata service first (local, fast), ECS DescribeNetworkInterfaces as the
/// fallback (metadata can lag behind a freshly assigned secondary IP). Answers are cached in the state dir and
/// re-verified with one metadata read, because Terway may move an IP to another ENI when it recycles it.
/// </summary>
public sealed class EniResolver
{
    private readonly IInstanceMetadata _metadata;
    private readonly INetworkInterfaceLookup _ecs;
    private readonly string _stateDir;
    private readonly string _cachePath;
    private readonly ILog _log;

    public EniResolver(IInstanceMetadata metadata, INetworkInterfaceLookup ecs, string stateDir, ILog log)
    {
        _metadata = metadata;
        _ecs = ecs;
        _stateDir = stateDir;
        _cachePath = Path.Combine(stateDir, "eni-cache.json");
        _log = log;
    }

    public async Task<EniBinding> ResolveAsync(string podIp, CancellationToken ct)
    {
        var cache = ReadCache();
        if (cache.TryGetValue(podIp, out var cached) && cached.Mac is { } mac)
        {
            try
            {
                var ips = await _metadata.GetAsync($"network/interfaces/macs/{mac}/private-ipv4s", ct).ConfigureAwait(false);
                if (ips.Contains($"\"{podIp}\"", StringComparison.Ordinal)) return cached;
            }
            catch (CloudException e)
            {
                _log.Write(LogLevel.Debug, "cached ENI could not be verified", ("ip", podIp), ("error", e.Code));
            }
        }

        EniBinding? found = null;
        try
        {
            foreach (var m in await _metadata.GetMacsAsync(ct).ConfigureAwait(false))
            {
                var eni = await _metadata.GetEniAsync(m, ct).ConfigureAwait(false);
                if (eni.PrivateIpv4s.Contains(podIp) || eni.PrimaryIpAddress == podIp)
                {
                    found = new EniBinding(eni.NetworkInterfaceId, eni.PrimaryIpAddress, eni.Mac);
                    break;
                }
            }
        }
        catch (CloudException e)
        {
            _log.Write(LogLevel.Warn, "instance metadata could not resolve the ENI; asking ECS", ("ip", podIp), ("error", e.Message));
        }

        if (found is null)
        {
            string instanceId;
            try
            {
                instanceId = await _metadata.GetInstanceIdAsync(ct).ConfigureAwait(false);
                var enis = await _ecs.DescribeNetworkInterfacesAsync(new NetworkInterfaceQuery { InstanceId = instanceId, PrivateIpAddresses = [podIp] }, ct).ConfigureAwait(false);
                var match = enis.Where(e => e.PrivateIpSets?.PrivateIpSet?.Any(p => p.PrivateIpAddress == podIp) == true || e.PrivateIpAddress == podIp).ToArray();
                if (match.Length == 1)
                    found = new EniBinding(match[0].NetworkInterfaceId, match[0].PrivateIpAddress ?? "", match[0].MacAddress);
                else if (match.Length > 1)
                    throw new CniException(CniCode.EniUnresolved, $"pod IP {podIp} is claimed by several ENIs",
                        string.Join(", ", match.Select(e => e.NetworkInterfaceId)));
            }
            catch (CloudException e)
            {
                throw CniErrors.FromCloud(e, $"resolving the ENI of pod IP {podIp}");
            }
        }

        if (found is null)
            throw new CniException(CniCode.EniUnresolved, $"no ENI of this instance holds the pod IP {podIp}",
                "neither the instance metadata nor ECS DescribeNetworkInterfaces list it; is eip-cni chained after Terway in ENI or ENI-IP mode?");
        cache[podIp] = found;
        WriteCache(cache);
        return found;
    }

    /// <summary>Every node's cache holds a few hundred entries at most; a far larger file was not written by eip-cni.</summary>
    private const int MaxCacheBytes = 1024 * 1024;

    private Dictionary<string, EniBinding> ReadCache()
    {
        // A cached answer steers a binding: it is used only from a state dir nobody else can write (else code 5).
        if (!PrivateFiles.VerifyExisting(_stateDir)) return new();
        try
        {
            return PrivateFiles.Read(_cachePath, MaxCacheBytes) is { } bytes
                ? JsonSerializer.Deserialize(bytes, EniCacheJsonContext.Default.DictionaryStringEniBinding) ?? new()
                : new();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            _log.Write(LogLevel.Warn, "ignoring an unreadable ENI cache", ("path", _cachePath), ("error", e.Message));
            return new();
        }
    }

    private void WriteCache(Dictionary<string, EniBinding> cache)
    {
        try
        {
            // Whole-file replace: concurrent writers may drop each other's entries, which only costs a re-resolve.
            PrivateFiles.EnsureDirectory(_stateDir);
            PrivateFiles.WriteAtomically(_cachePath, JsonSerializer.SerializeToUtf8Bytes(cache, EniCacheJsonContext.Default.DictionaryStringEniBinding), durable: false);
        }
        catch (IOException e)
        {
            _log.Write(LogLevel.Warn, "cannot write the ENI cache", ("path", _cachePath), ("error", e.Message));
        }
    }
}

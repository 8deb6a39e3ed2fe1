using System.Net;

namespace EipCni.Kube;

public sealed partial class Kubeconfig
{
    /// <summary>Where kubelet mounts a pod's service account: token (projected, rotated), ca.crt, namespace.</summary>
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>
    /// The configuration of a process in a pod, as client-go's rest.InClusterConfig: the API server from
    /// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, its CA from ca.crt and the bearer token from the token file
    /// of <paramref name="serviceAccountDirectory"/>. The token file is read again for every request, so the token kubelet
    /// rotates in the projected volume is used as soon as it is written.
    /// </summary>
    public static Kubeconfig InCluster(Func<string, string?> environment, string serviceAccountDirectory = ServiceAccountDirectory)
    {
        const string source = "in-cluster";
        var host = environment("KUBERNETES_SERVICE_HOST");
        var port = environment("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
            throw new KubeconfigException(source, string.IsNullOrEmpty(host) ? "KUBERNETES_SERVICE_HOST" : "KUBERNETES_SERVICE_PORT",
                "is not set: not running in a pod (give a kubeconfig instead)");
        if (!ushort.TryParse(port, out var portNumber) || portNumber == 0)
            throw new KubeconfigException(source, "KUBERNETES_SERVICE_PORT", $"\"{port}\" is not a port number");
        var hostText = IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        var server = ParseServer(source, "KUBERNETES_SERVICE_HOST", $"https://{hostText}:{portNumber}");

        var caFile = Path.Combine(serviceAccountDirectory, "ca.crt");
        var tokenFile = Path.Combine(serviceAccountDirectory, "token");
        var authorities = Authorities(source, caFile, ReadRequired(source, caFile, ConfigFile.PemLimit));
        if (!File.Exists(tokenFile)) throw new KubeconfigException(source, tokenFile, "does not exist");
        var ns = File.Exists(Path.Combine(serviceAccountDirectory, "namespace"))
            ? ReadRequired(source, Path.Combine(serviceAccountDirectory, "namespace"), 1024).Trim()
            : null;
        return new Kubeconfig($"{source} ({serviceAccountDirectory})", "in-cluster", server, null, authorities, null, tokenFile, null,
            string.IsNullOrEmpty(ns) ? null : ns);
    }

    private static string ReadRequired(string source, string path, int limit)
    {
        try
        {
            return ConfigFile.ReadText(path, limit) ?? throw new KubeconfigException(source, path, "does not exist");
        }
        catch (ConfigFileException e)
        {
            throw new KubeconfigException(source, path, e.Message, e);
        }
        catch (IOException e)
        {
            throw new KubeconfigException(source, path, $"cannot read: {e.Message}", e);
        }
    }
}

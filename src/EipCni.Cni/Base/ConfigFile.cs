using System.Text;
using Tmds.Linux;

namespace EipCni;

/// <summary>
/// Reads a file that root names in the configuration (eni_conf, the kubeconfig and the files it names, the OIDC token
/// file): a regular file only, at most a limit that fits its content, without ever blocking.
/// </summary>
/// <remarks>
/// Symbolic links are followed: kubelet and ConfigMap volumes publish files through links (<c>..data/</c>), and root
/// chose the path. The final target must be a regular file: a FIFO would hang the call past its budget, and a device
/// such as <c>/dev/zero</c> never ends. The open is non-blocking (a FIFO does not wait for a writer) and fstat decides
/// before anything is read.
/// </remarks>
public static class ConfigFile
{
    /// <summary>eni_conf and the kubeconfig: a few KiB in practice.</summary>
    public const int ConfigLimit = 256 * 1024;

    /// <summary>PEM files named by the kubeconfig: a system CA bundle is about 200 KiB.</summary>
    public const int PemLimit = 1024 * 1024;

    /// <summary>Bearer and OIDC tokens: a few KiB in practice.</summary>
    public const int TokenLimit = 64 * 1024;

    /// <summary>
    /// The file's bytes; null when it does not exist. Throws <see cref="ConfigFileException"/> when it is not a regular
    /// file or exceeds <paramref name="maxBytes"/>, and <see cref="IOException"/> when it cannot be read.
    /// </summary>
    public static byte[]? Read(string path, int maxBytes)
    {
        var fd = Libc.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Libc.Errno;
            if (errno == LibC.ENOENT || errno == LibC.ENOTDIR) return null;
            throw new IOException($"cannot open {path}: {Libc.Describe(errno)}");
        }
        try
        {
            if (Libc.fstat(fd, out var st) != 0) throw new IOException($"cannot stat {path}: {Libc.Describe(Libc.Errno)}");
            if (!Libc.IsRegular(st))
                throw new ConfigFileException($"{path} is {Libc.Kind(st)}; eip-cni reads only regular files");
            if ((long)st.st_size > maxBytes) throw TooLarge(path, maxBytes);
            return Libc.ReadAll(fd, (long)st.st_size, maxBytes, path, () => TooLarge(path, maxBytes));
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>The file as UTF-8 text (a byte order mark is dropped); null when it does not exist.</summary>
    public static string? ReadText(string path, int maxBytes) =>
        Read(path, maxBytes) is { } bytes ? Encoding.UTF8.GetString(bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes.AsSpan(3) : bytes) : null;

    /// <summary>"262144 bytes (256 KiB)"</summary>
    public static string Limit(int maxBytes) => $"{maxBytes} bytes ({maxBytes / 1024} KiB)";

    private static ConfigFileException TooLarge(string path, int maxBytes) =>
        new($"{path} is larger than the limit of {Limit(maxBytes)}");
}

using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CriClient;

/// <summary>
/// The sandbox image, built here with no registry: Pause/pause.c compiled statically by the host's cc, one layer holding
/// /pause, written as an OCI image layout archive (oci-layout, index.json, blobs) that <c>ctr images import</c> takes.
/// The archive is cached in the temp directory by the source's hash and is byte-for-byte reproducible.
/// </summary>
public static class PauseImage
{
    /// <summary>The name the containerd config's sandbox_image points at; the CRI then never pulls.</summary>
    public const string Name = "localhost/eip-cni/pause:1";

    private static readonly SemaphoreSlim BuildLock = new(1, 1);

    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(0);

    /// <summary>The archive's path, building it first when this source has not been built yet.</summary>
    public static async Task<string> ArchiveAsync(CancellationToken ct = default)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Pause", "pause.c");
        if (!File.Exists(source)) throw new FileNotFoundException("the pause program's source is not beside the harness", source);
        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(source, ct)))[..12];
        var archive = Path.Combine(Path.GetTempPath(), $"eipcni-pause-{hash}.oci.tar");
        await BuildLock.WaitAsync(ct);
        try
        {
            if (File.Exists(archive)) return archive;
            var work = Directory.CreateTempSubdirectory("eipcni-pause-build-");
            try
            {
                var binary = Path.Combine(work.FullName, "pause");
                var cc = await HostCommand.RunAsync(HostCommand.Which("cc") ?? "cc", ["-static", "-Os", "-s", "-o", binary, source], TimeSpan.FromSeconds(60), ct);
                if (cc.ExitCode != 0) throw new InvalidOperationException(cc.Describe("cc -static (needs a C compiler and libc6-dev)"));
                var staging = Path.Combine(work.FullName, "image.tar");
                await File.WriteAllBytesAsync(staging, Build(await File.ReadAllBytesAsync(binary, ct)), ct);
                File.Move(staging, archive, overwrite: true); // atomic: a concurrent test process sees all or nothing
            }
            finally
            {
                work.Delete(recursive: true);
            }
            return archive;
        }
        finally
        {
            BuildLock.Release();
        }
    }

    /// <summary>The OCI layout archive of an image whose only file is <paramref name="pause"/> at /pause, its entrypoint.</summary>
    public static byte[] Build(byte[] pause)
    {
        var layer = Tar(("pause", pause, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute));
        var layerDigest = Digest(layer);
        var config = Json(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Entrypoint"] = new JsonArray("/pause") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layerDigest) },
        });
        var manifest = Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config),
            ["layers"] = new JsonArray(Descriptor("application/vnd.oci.image.layer.v1.tar", layer)),
        });
        var manifestDescriptor = Descriptor("application/vnd.oci.image.manifest.v1+json", manifest);
        manifestDescriptor["annotations"] = new JsonObject
        {
            ["io.containerd.image.name"] = Name, // ctr import names the image after this
            ["org.opencontainers.image.ref.name"] = Name[(Name.LastIndexOf(':') + 1)..],
        };
        manifestDescriptor["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" };
        var index = Json(new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifestDescriptor) });

        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        return Tar(
            ("oci-layout", Json(new JsonObject { ["imageLayoutVersion"] = "1.0.0" }), file),
            ("index.json", index, file),
            ($"blobs/sha256/{Hex(manifest)}", manifest, file),
            ($"blobs/sha256/{Hex(config)}", config, file),
            ($"blobs/sha256/{Hex(layer)}", layer, file));
    }

    private static JsonObject Descriptor(string mediaType, byte[] blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = Digest(blob), ["size"] = blob.Length };

    private static string Digest(byte[] blob) => "sha256:" + Hex(blob);

    private static string Hex(byte[] blob) => Convert.ToHexStringLower(SHA256.HashData(blob));

    private static byte[] Json(JsonObject o) => Encoding.UTF8.GetBytes(o.ToJsonString());

    /// <summary>A tar of regular files owned by root with a fixed time, so equal inputs give equal digests.</summary>
    private static byte[] Tar(params (string Name, byte[] Content, UnixFileMode Mode)[] files)
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content, mode) in files)
            {
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(content),
                    Mode = mode,
                    Uid = 0,
                    Gid = 0,
                    ModificationTime = Epoch,
                });
            }
        }
        return output.ToArray();
    }
}

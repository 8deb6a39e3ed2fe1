using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EipCni.Node;

/// <summary>Reads CNI config files as the runtime's Go decoder would accept them, and writes them readable.</summary>
internal static class ConfJson
{
    /// <summary>libcni reads any size; a CNI config of a megabyte is already not one.</summary>
    public const int MaxBytes = 1024 * 1024;

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = MinimalJsonEncoder.Instance };

    /// <summary>
    /// The object in a config file, or a refusal naming the file: a symbolic link (a rename in this directory would
    /// replace the link, and the runtime watches only this directory for the target's changes), not a regular file,
    /// over <see cref="MaxBytes"/>, not one strict JSON text (RFC 8259, as Go's encoding/json), or not an object.
    /// </summary>
    public static JsonObject ReadObject(string path, out uint mode)
    {
        if (Libc.lstat(path, out var st) != 0) throw new IOException($"cannot stat {path}: {Libc.Describe(Libc.Errno)}");
        if ((Libc.Mode(st) & (uint)Tmds.Linux.LibC.S_IFMT) == (uint)Tmds.Linux.LibC.S_IFLNK)
            throw new InstallRefusedException($"{path} is a symbolic link: eip-cni-agent replaces a config by renaming a new file over it, "
                + "which would replace the link, and the runtime does not see changes made elsewhere; put the file itself in the directory");
        mode = Libc.Mode(st) & 0xFFF;
        byte[] bytes;
        try
        {
            bytes = PrivateFiles.Read(path, MaxBytes) ?? throw new InstallRefusedException($"{path} disappeared while it was read");
        }
        catch (UnexpectedFileException e)
        {
            throw new InstallRefusedException($"cannot use {path}: {e.Message}");
        }
        return ParseObject(bytes, path);
    }

    /// <summary>Parses (and fully materialises, so a duplicate key fails here and not later) one JSON object.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> bytes, string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes);
            Walk(node);
        }
        catch (ArgumentException e)
        {
            // Go's decoder keeps the last of two equal keys; which one the author meant is not for install to guess.
            throw new InstallRefusedException($"{path} names a key twice in one object ({e.Message})");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InstallRefusedException($"{path} is not valid JSON: {e.Message}");
        }
        return node as JsonObject ?? throw new InstallRefusedException($"{path} holds {Describe(node)}, not a JSON object");
    }

    /// <summary>Indented by two spaces, non-ASCII as it is, one newline at the end.</summary>
    public static byte[] Serialize(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Indented)) node.WriteTo(writer);
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>"an array", "a string", "null" — for messages.</summary>
    public static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };

    /// <summary>The string value of <paramref name="key"/>, or null when it is absent or not a string.</summary>
    public static string? StringOf(JsonObject obj, string key) =>
        obj.TryGetPropertyValue(key, out var v) && v is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static void Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj) Walk(value);
                break;
            case JsonArray array:
                foreach (var item in array) Walk(item);
                break;
        }
    }
}

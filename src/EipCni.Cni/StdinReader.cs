namespace EipCni.Cni;

/// <summary>Reads the network configuration from stdin, bounded so a runaway writer cannot exhaust memory.</summary>
public static class StdinReader
{
    /// <summary>Real configs are a few KiB; 1 MiB leaves room for large prevResults.</summary>
    public const int MaxBytes = 1 << 20;

    public static byte[] ReadAll(Stream input)
    {
        // Uninitialized: zeroing 16 KiB that read(2) overwrites anyway cost every pod 1% of its start-up instructions.
        var buffer = GC.AllocateUninitializedArray<byte>(16 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxBytes + 1) break;
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxBytes + 1));
                }
                var n = input.Read(buffer, length, buffer.Length - length);
                if (n == 0) return buffer.AsSpan(0, length).ToArray();
                length += n;
            }
            // Too big: drain the rest so the writer sees a clean close, then refuse.
            var total = (long)length;
            int read;
            while ((read = input.Read(buffer, 0, buffer.Length)) > 0) total += read;
            throw new CniException(CniCode.DecodingFailure, "network configuration is too large",
                $"stdin holds {total} bytes; the limit is {MaxBytes} bytes");
        }
        catch (IOException e)
        {
            throw new CniException(CniCode.IoFailure, "cannot read the network configuration from stdin", e.Message);
        }
    }
}

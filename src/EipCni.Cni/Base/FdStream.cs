namespace EipCni;

/// <summary>
/// stdin or stdout as a plain file descriptor: each Read is one read(2), each Write as many write(2) as it takes.
/// </summary>
/// <remarks>
/// <see cref="Console.OpenStandardOutput()"/> would do, but its first write sets up terminal and signal handling (a
/// pipe and a thread) that a CNI plugin, whose stdout is a pipe, never needs: measured at about a tenth of the
/// pass-through ADD's time above an exec of <c>/bin/true</c>.
/// </remarks>
public sealed class FdStream(int fd, bool writable) : Stream
{
    public static FdStream StandardInput() => new(0, writable: false);

    public static FdStream StandardOutput() => new(1, writable: true);

    public override bool CanRead => !writable;
    public override bool CanWrite => writable;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (writable) throw new NotSupportedException();
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            var n = Libc.read(fd, ref buffer[0], buffer.Length);
            if (n >= 0) return (int)n;
            var errno = Libc.Errno;
            if (errno != Tmds.Linux.LibC.EINTR) throw new IOException($"cannot read fd {fd}: {Libc.Describe(errno)}");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!writable) throw new NotSupportedException();
        while (!buffer.IsEmpty)
        {
            var n = Libc.write(fd, ref System.Runtime.InteropServices.MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n > 0)
            {
                buffer = buffer[(int)n..];
                continue;
            }
            var errno = Libc.Errno;
            if (n < 0 && errno == Tmds.Linux.LibC.EINTR) continue;
            throw new IOException($"cannot write fd {fd}: {Libc.Describe(errno)}");
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

using System.Buffers;

namespace EipCni.Kube;

/// <summary>
/// Splits a watch stream into its newline-terminated JSON events, each at most a limit long: a server that never sends a
/// newline cannot make the agent buffer without end. The buffer is pooled and grows only as far as the longest line.
/// </summary>
internal sealed class WatchLineReader(Stream stream, int maxLine) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _start, _end, _scanned;

    /// <summary>The next line without its newline (valid until the next call); null at the end of the stream.</summary>
    /// <exception cref="AnswerTooLongException">A line is longer than the limit.</exception>
    /// <exception cref="EndOfStreamException">The stream ended inside a line.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, _scanned + newline - _start);
                _start = _scanned = _scanned + newline + 1;
                return line;
            }
            _scanned = _end;
            if (_end - _start > maxLine) throw new AnswerTooLongException(maxLine);
            MakeRoom();
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end == _start) return null;
                throw new EndOfStreamException($"the stream ended inside an event ({_end - _start} bytes without a newline)");
            }
            _end += read;
        }
    }

    /// <summary>When the buffer is full: moves the unfinished line to the front, or, when it fills the buffer, grows it (to one byte past the limit at most).</summary>
    private void MakeRoom()
    {
        if (_end < _buffer.Length) return;
        var pending = _end - _start;
        if (_start == 0)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, maxLine + 1));
            _buffer.AsSpan(0, pending).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
            return;
        }
        _buffer.AsSpan(_start, pending).CopyTo(_buffer); // overlapping copy: Span.CopyTo moves like memmove
        _scanned -= _start;
        _start = 0;
        _end = pending;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>A watch event longer than the limit.</summary>
    internal sealed class AnswerTooLongException(int limit) : Exception($"a watch event is longer than {Http.AnswerLimits.Size(limit)}");
}

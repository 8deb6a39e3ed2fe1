using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace EipCni.Node;

/// <summary>
/// Follows the plugin's JSON-lines log as it grows and hands each call's outcome line to the metrics. Reads only what
/// was appended since the last poll; a file renamed away (logrotate's create mode) is read to its end and the new one
/// from its start; a file truncated in place (copytruncate) is read again from its start. A line longer than the
/// bound is skipped whole, so a runaway writer cannot grow the agent's memory.
/// </summary>
public sealed class CniLogTail : IDisposable
{
    private readonly string _path;
    private readonly Action<CniLogLine> _onCall;
    private readonly Action<string> _onSkipped;
    private readonly int _maxLineBytes;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _partial = new();
    /// <summary>The last bytes read, as they stood before <see cref="_offset"/>: still there, or the file was rewritten.</summary>
    private readonly byte[] _seen = new byte[64];
    private int _seenLength;
    private SafeFileHandle? _file;
    private (ulong Dev, ulong Ino) _identity;
    private long _offset;
    private bool _discarding;
    private bool _started;

    /// <param name="onSkipped">Told why a line was skipped: <c>too_long</c> or <c>not_json</c>.</param>
    public CniLogTail(string path, Action<CniLogLine> onCall, Action<string> onSkipped, int maxLineBytes = 64 * 1024)
    {
        _path = path;
        _onCall = onCall;
        _onSkipped = onSkipped;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>Read what the file already holds at the first poll (default: start at its end; counters start with the agent).</summary>
    public bool FromStart { get; init; }

    /// <summary>Reads what was appended since the last call; returns the number of complete lines read.</summary>
    public int Poll()
    {
        var lines = 0;
        var first = !_started;
        _started = true;
        // A file that appears after the first poll is all new; one there at the start holds history (unless FromStart).
        if (_file is null && !Open(fromStart: FromStart || !first)) return 0;
        if (Truncated())
        {
            _offset = 0; // truncated in place (copytruncate): what it holds now is new
            _seenLength = 0;
            ResetLine();
        }
        lines += Drain();
        // Renamed away or replaced: the old file was read to its end above; the new one is all new.
        if (Libc.lstat(_path, out var now) != 0 || ((ulong)now.st_dev, (ulong)now.st_ino) != _identity)
        {
            Close();
            ResetLine();
            if (Open(fromStart: true)) lines += Drain();
        }
        return lines;
    }

    /// <summary>Polls every <paramref name="every"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan every, TimeProvider time, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                Poll();
            }
            catch (IOException)
            {
                Close(); // unreadable for now (a failing disk, a permission): try the path afresh next time
            }
            if (!await Pause.ForAsync(every, time, ct).ConfigureAwait(false)) return;
        }
    }

    /// <summary>
    /// Shorter than what was read, or no longer holding the bytes last read where they were: truncated, then written
    /// again (perhaps past the old length already).
    /// </summary>
    private bool Truncated()
    {
        if (Libc.fstat((int)_file!.DangerousGetHandle(), out var st) != 0) return false;
        if ((long)st.st_size < _offset) return true;
        if (_seenLength == 0) return false;
        Span<byte> now = stackalloc byte[64];
        var n = RandomAccess.Read(_file, now[.._seenLength], _offset - _seenLength);
        return n != _seenLength || !now[..n].SequenceEqual(_seen.AsSpan(0, _seenLength));
    }

    private bool Open(bool fromStart)
    {
        try
        {
            _file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return false;
        }
        if (Libc.fstat((int)_file.DangerousGetHandle(), out var st) != 0)
        {
            Close();
            return false;
        }
        _identity = ((ulong)st.st_dev, (ulong)st.st_ino);
        _offset = fromStart ? 0 : (long)st.st_size;
        _seenLength = 0;
        return true;
    }

    private int Drain()
    {
        var lines = 0;
        while (true)
        {
            var n = RandomAccess.Read(_file!, _buffer, _offset);
            if (n <= 0) return lines;
            _offset += n;
            var chunk = _buffer.AsSpan(0, n);
            Remember(chunk);
            while (chunk.Length > 0)
            {
                var end = chunk.IndexOf((byte)'\n');
                var part = end < 0 ? chunk : chunk[..end];
                if (!_discarding)
                {
                    if (_partial.Length + part.Length > _maxLineBytes)
                    {
                        _discarding = true;
                        _partial.SetLength(0);
                        _onSkipped("too_long");
                    }
                    else _partial.Write(part);
                }
                if (end < 0) break;
                if (!_discarding && _partial.Length > 0)
                {
                    Handle(_partial.GetBuffer().AsSpan(0, (int)_partial.Length));
                    lines++;
                }
                ResetLine();
                chunk = chunk[(end + 1)..];
            }
        }
    }

    private void Remember(ReadOnlySpan<byte> read)
    {
        if (read.Length >= _seen.Length)
        {
            read[^_seen.Length..].CopyTo(_seen);
            _seenLength = _seen.Length;
            return;
        }
        // Keep the newest bytes: shift what is kept left by the new ones, up to the buffer's size.
        var keep = Math.Min(_seenLength, _seen.Length - read.Length);
        _seen.AsSpan(_seenLength - keep, keep).CopyTo(_seen);
        read.CopyTo(_seen.AsSpan(keep));
        _seenLength = keep + read.Length;
    }

    private void Handle(ReadOnlySpan<byte> line)
    {
        CniLogLine? call;
        try
        {
            call = CniLogLine.Parse(line);
        }
        catch (JsonException)
        {
            _onSkipped("not_json");
            return;
        }
        if (call is not null) _onCall(call);
    }

    private void ResetLine()
    {
        _partial.SetLength(0);
        _discarding = false;
    }

    private void Close()
    {
        _file?.Dispose();
        _file = null;
    }

    public void Dispose()
    {
        Close();
        _partial.Dispose();
    }
}

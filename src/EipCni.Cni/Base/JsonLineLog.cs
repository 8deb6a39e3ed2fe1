using System.Text.Json;
using Tmds.Linux;

namespace EipCni;

/// <summary>
/// Appends JSON lines to a file shared by every plugin process on the node: each line is one <c>write(2)</c> on a
/// descriptor opened with <c>O_APPEND</c>, so the kernel puts every line at the end of the file, whole.
/// </summary>
/// <remarks>
/// Not a <see cref="FileStream"/>: with <see cref="FileMode.Append"/> it seeks to the end once and then writes at its
/// own position (<c>pwrite</c>), so two processes that open the file at the same moment write over each other's line.
/// The file is opened per line (a rotated log is followed at once) with <c>O_NOFOLLOW</c>: a symbolic link planted in
/// the log directory must not turn a root process's log into a write to another file. Only a regular file owned by
/// the running user with one link is written (see <see cref="CheckOpenedFile"/>).
/// </remarks>
public sealed class JsonLineLog : ILog
{
    private const uint Mode0640 = 0b110_100_000;
    private readonly string _path;
    private readonly LogLevel _min;
    private readonly string _invocation;
    private bool _failureReported;

    public JsonLineLog(string path, LogLevel min, string invocation)
    {
        _path = path;
        _min = min;
        _invocation = invocation;
    }

    public bool IsEnabled(LogLevel level) => level >= _min;

    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields)
    {
        if (!IsEnabled(level)) return;
        var buffer = new MemoryStream(256);
        using (var w = new Utf8JsonWriter(buffer, ReadableJson.Compact))
        {
            w.WriteStartObject();
            w.WriteString("time", Timestamp(DateTime.UtcNow));
            w.WriteString("level", LevelName(level));
            w.WriteString("msg", message);
            w.WriteString("invocation", _invocation);
            w.WriteNumber("pid", Environment.ProcessId);
            foreach (var (key, value) in fields) WriteField(w, key, value);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        try
        {
            var dir = Path.GetDirectoryName(_path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            Append(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Logging must never fail a CNI call; stderr is the last resort (libcni keeps it, nobody else sees it). Once
            // per log: the engine writes many lines, and each would fail the same way.
            if (_failureReported) return;
            _failureReported = true;
            Console.Error.WriteLine($"eip-cni: cannot write log {_path}: {e.Message}; the call goes on without it");
        }
    }

    private void Append(ReadOnlySpan<byte> line)
    {
        // O_NONBLOCK: a FIFO planted as the log must not hang the call (it is refused below, or fails ENXIO here).
        var fd = Libc.open(_path, LibC.O_WRONLY | LibC.O_APPEND | LibC.O_CREAT | LibC.O_CLOEXEC | LibC.O_NOFOLLOW | LibC.O_NONBLOCK, Mode0640);
        if (fd < 0)
        {
            var errno = Libc.Errno;
            throw new IOException(errno == LibC.ELOOP ? "it is a symbolic link, which eip-cni does not follow"
                : errno == LibC.ENXIO ? "it is not a regular file"
                : Libc.Describe(errno));
        }
        try
        {
            CheckOpenedFile(fd);
            Libc.WriteAll(fd, line);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>
    /// Only a regular file of ours with no other name: a FIFO or device would block or swallow the lines, and a hard link
    /// planted in the log directory would turn our appends into writes to another file.
    /// </summary>
    private static void CheckOpenedFile(int fd)
    {
        if (Libc.fstat(fd, out var st) != 0) throw new IOException(Libc.Describe(Libc.Errno));
        if (!Libc.IsRegular(st)) throw new IOException($"it is {Libc.Kind(st)}, not a regular file");
        var euid = Libc.geteuid();
        if ((uint)st.st_uid != euid) throw new IOException($"it is owned by uid {(uint)st.st_uid}, not by uid {euid} that eip-cni runs as");
        if ((ulong)st.st_nlink != 1) throw new IOException("it has other hard links");
    }

    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info",
        LogLevel.Warn => "warn",
        _ => "error",
    };

    /// <summary>"2026-11-30T06:45:12.345Z", by hand: the general formatter cost every pod's ADD 0.4% of its start-up instructions.</summary>
    public static string Timestamp(DateTime utc)
    {
        Span<char> t = stackalloc char[24];
        static void Put(Span<char> at, int value, int digits)
        {
            for (var i = digits - 1; i >= 0; i--, value /= 10) at[i] = (char)('0' + value % 10);
        }
        Put(t, utc.Year, 4);
        t[4] = '-';
        Put(t[5..], utc.Month, 2);
        t[7] = '-';
        Put(t[8..], utc.Day, 2);
        t[10] = 'T';
        Put(t[11..], utc.Hour, 2);
        t[13] = ':';
        Put(t[14..], utc.Minute, 2);
        t[16] = ':';
        Put(t[17..], utc.Second, 2);
        t[19] = '.';
        Put(t[20..], utc.Millisecond, 3);
        t[23] = 'Z';
        return new string(t);
    }

    /// <summary>A duration in milliseconds with one decimal (12.3), from integers: no floating-point formatting.</summary>
    private static void WriteTenths(Utf8JsonWriter w, string key, double milliseconds)
    {
        var tenths = (long)Math.Round(milliseconds * 10);
        Span<byte> text = stackalloc byte[24];
        var whole = tenths / 10;
        whole.TryFormat(text, out var n, default, System.Globalization.CultureInfo.InvariantCulture);
        text[n++] = (byte)'.';
        text[n++] = (byte)('0' + (int)(tenths % 10));
        w.WritePropertyName(key);
        w.WriteRawValue(text[..n], skipInputValidation: true);
    }

    private static void WriteField(Utf8JsonWriter w, string key, object? value)
    {
        switch (value)
        {
            case null: break; // absent rather than null keeps lines short
            case string s: w.WriteString(key, s); break;
            case bool b: w.WriteBoolean(key, b); break;
            case int i: w.WriteNumber(key, i); break;
            case long l: w.WriteNumber(key, l); break;
            case double d: w.WriteNumber(key, Math.Round(d, 3)); break;
            case TimeSpan t: WriteTenths(w, key, t.TotalMilliseconds); break;
            default: w.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }
}

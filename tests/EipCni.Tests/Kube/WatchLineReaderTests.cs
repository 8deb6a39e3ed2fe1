using System.Text;
using EipCni.Kube;

namespace EipCni.Tests.Kube;

/// <summary>The watch stream's line splitter: lines across reads, a growing buffer, and the limits.</summary>
public sealed class WatchLineReaderTests
{
    /// <summary>A stream that hands out at most <paramref name="chunk"/> bytes per read, like a slow chunked answer.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private static async Task<List<string>> ReadAllAsync(string text, int chunk, int maxLine)
    {
        using var reader = new WatchLineReader(new Trickle(Encoding.UTF8.GetBytes(text), chunk), maxLine);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line) lines.Add(Encoding.UTF8.GetString(line.Span));
        return lines;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100_000)]
    public async Task Lines_come_out_whole_however_the_stream_is_cut(int chunk)
    {
        var big = new string('x', 50_000); // past the first 16 KiB buffer: it grows, then compacts
        var text = $"{{\"a\":1}}\n\n{{\"b\":\"{big}\"}}\n{{\"c\":3}}\n";

        var lines = await ReadAllAsync(text, chunk, 1 << 20);

        Assert.Equal(["{\"a\":1}", "", $"{{\"b\":\"{big}\"}}", "{\"c\":3}"], lines);
    }

    [Fact]
    public async Task A_line_over_the_limit_is_refused_before_it_is_all_read()
    {
        var stream = new Trickle(Encoding.ASCII.GetBytes(new string('y', 200_000) + "\n"), 4096);
        using var reader = new WatchLineReader(stream, 64 * 1024);

        var e = await Assert.ThrowsAsync<WatchLineReader.AnswerTooLongException>(async () => await reader.ReadLineAsync(CancellationToken.None));

        Assert.Contains("64 KiB", e.Message);
        Assert.True(stream.Position < 100_000, $"read {stream.Position} bytes");
    }

    [Fact]
    public async Task A_stream_that_ends_inside_an_event_is_an_error_and_a_clean_end_is_null()
    {
        await Assert.ThrowsAsync<EndOfStreamException>(() => ReadAllAsync("{\"a\":1}\n{\"b\":", 3, 1024));
        Assert.Empty(await ReadAllAsync("", 3, 1024));
    }
}

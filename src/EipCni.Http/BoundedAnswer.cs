using System.Buffers;

namespace EipCni.Http;

/// <summary>
/// Reads an HTTP answer's body with a cap: a Content-Length over the cap is refused before a byte is read, and
/// reading stops one byte past the cap otherwise (chunked answers). The caller disposes the response, which closes
/// the connection of an answer left unread.
/// </summary>
public static class BoundedAnswer
{
    private const int Chunk = 64 * 1024;

    /// <summary>The whole body, at most <paramref name="limit"/> bytes; <see cref="AnswerTooLargeException"/> beyond.</summary>
    /// <remarks>Send with <see cref="HttpCompletionOption.ResponseHeadersRead"/>: the default buffers the whole answer first.</remarks>
    public static async Task<byte[]> ReadAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken)
    {
        var announced = response.Content.Headers.ContentLength;
        if (announced > limit) throw new AnswerTooLargeException(limit, announced);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return announced is { } length
                ? await ReadExactlyAsync(stream, (int)length, cancellationToken).ConfigureAwait(false)
                : await ReadChunksAsync(stream, limit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A body of announced length: one array of that size, nothing copied (the handler ends the stream there).</summary>
    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var body = GC.AllocateUninitializedArray<byte>(length);
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return body;
    }

    /// <summary>
    /// A body of unknown length: read in pooled 64 KiB chunks, one byte past the cap proving it too large, then one
    /// exact copy. No growing buffers: what a refused answer cost goes back to the pool.
    /// </summary>
    private static async Task<byte[]> ReadChunksAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        var chunks = new List<byte[]>();
        try
        {
            var total = 0;
            var used = Chunk;
            while (true)
            {
                if (used == Chunk)
                {
                    chunks.Add(ArrayPool<byte>.Shared.Rent(Chunk));
                    used = 0;
                }
                var want = (int)Math.Min(Chunk - used, limit + 1L - total);
                var read = await stream.ReadAsync(chunks[^1].AsMemory(used, want), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                used += read;
                total += read;
                if (total > limit) throw new AnswerTooLargeException(limit, null);
            }
            var body = GC.AllocateUninitializedArray<byte>(total);
            for (int i = 0, at = 0; at < total; i++, at += Chunk)
                chunks[i].AsSpan(0, Math.Min(Chunk, total - at)).CopyTo(body.AsSpan(at));
            return body;
        }
        finally
        {
            foreach (var chunk in chunks) ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}

namespace KubeSim;

/// <summary>
/// Serves a watch as the apiserver does: a 200 with headers flushed at once, then one JSON event per line over chunked transfer, until
/// timeoutSeconds, the client leaving, the server stopping, a reset or an admin close. BOOKMARKs come every bookmark interval when asked for.
/// </summary>
public sealed class WatchResult(Sim sim, ApiGateway gateway, Watcher watcher, bool bookmarks, int? timeoutSeconds) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.Headers.CacheControl = "no-cache, private";
            await context.Response.Body.FlushAsync(context.RequestAborted);
            gateway.Record(context, 200);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, sim.Stopping);
            if (timeoutSeconds is { } seconds) stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            var interval = sim.Options.BookmarkInterval;
            using var bookmarker = bookmarks ? new Timer(_ => sim.Store.Bookmark(watcher), null, interval, interval) : null;
            await foreach (var line in watcher.Lines.ReadAllAsync(stop.Token))
            {
                await context.Response.WriteAsync(line + "\n", stop.Token);
                await context.Response.Body.FlushAsync(stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The timeout, the client hanging up or the server stopping: the stream just ends.
        }
        finally
        {
            sim.Store.Unwatch(watcher);
        }
    }
}

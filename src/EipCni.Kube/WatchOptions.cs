namespace EipCni.Kube;

/// <summary>How a watch is opened.</summary>
public sealed record WatchOptions
{
    /// <summary>The server ends the stream after this long (<c>timeoutSeconds</c>); the client gives it 30 s more before it hangs up itself.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>allowWatchBookmarks</c>: the server periodically tells how far the client is, so a resumed watch rarely meets 410.</summary>
    public bool Bookmarks { get; init; } = true;
}

using System.Globalization;
using System.Text.Json.Serialization.Metadata;

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    /// <summary>Items per page: a page stays far below the 4 MiB answer cap even for pods with large managedFields.</summary>
    private const int ListPageSize = 100;

    /// <summary>Pages of one list (200,000 objects): a continue token without end stops here.</summary>
    private const int MaxListPages = 2000;

    public async Task<IReadOnlyList<PodView>> ListPodsAsync(string? nodeName, CancellationToken cancellationToken)
    {
        var selector = nodeName is null ? null : "spec.nodeName=" + nodeName;
        var pods = await ListAsync("/api/v1/pods", selector, KubeJsonContext.Default.PodListDto,
            page => (page.Items ?? [], page.Metadata?.Continue), cancellationToken).ConfigureAwait(false);
        return pods.Select(p => ToView(p, p.Metadata?.Namespace ?? "", p.Metadata?.Name ?? "")).ToList();
    }

    public async Task<IReadOnlyList<string>> ListNodeNamesAsync(CancellationToken cancellationToken)
    {
        var nodes = await ListAsync("/api/v1/nodes", null, KubeJsonContext.Default.NodeListDto,
            page => (page.Items ?? [], page.Metadata?.Continue), cancellationToken).ConfigureAwait(false);
        return nodes.Select(n => n.Metadata?.Name).OfType<string>().ToList();
    }

    /// <summary>
    /// Reads a whole list in pages (<c>limit</c>/<c>continue</c>). The server serves every page from the first page's
    /// resourceVersion, so the result is one snapshot; once that version is compacted away (410 Expired) the list is
    /// read again from the start, up to three times. No resourceVersion is sent: a quorum read, never a stale cache.
    /// </summary>
    private async Task<List<TItem>> ListAsync<TPage, TItem>(string path, string? fieldSelector, JsonTypeInfo<TPage> pageType,
        Func<TPage, (List<TItem> Items, string? Continue)> read, CancellationToken cancellationToken)
    {
        for (var start = 1; ; start++)
        {
            var items = new List<TItem>();
            string? next = null;
            try
            {
                for (var page = 1; ; page++)
                {
                    if (page > MaxListPages)
                        throw new KubeException(200, "BadAnswer", $"the list goes on past {MaxListPages} pages", "GET", path, 1);
                    var query = "?limit=" + ListPageSize.ToString(CultureInfo.InvariantCulture)
                        + (fieldSelector is null ? "" : "&fieldSelector=" + Escape(fieldSelector))
                        + (next is null ? "" : "&continue=" + Escape(next));
                    var answer = await SendAsync(HttpMethod.Get, path + query, null, null, pageType, RetryConflicts.No, cancellationToken).ConfigureAwait(false);
                    var (pageItems, token) = read(answer);
                    items.AddRange(pageItems);
                    if (string.IsNullOrEmpty(token)) return items;
                    next = token;
                }
            }
            catch (KubeException e) when (e.StatusCode == 410 && next is not null && start < 3)
            {
                _log.Write(LogLevel.Info, "the list's snapshot expired between pages; reading it again", ("path", path));
            }
        }
    }
}

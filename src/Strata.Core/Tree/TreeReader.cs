namespace Strata.Core.Tree;

/// <summary>Point lookups and totals on a stored tree.</summary>
public static class TreeReader
{
    public static Task<FileEntry?> GetAsync(NodeCache cache, Hash? root, string key, CancellationToken ct) =>
        GetAsync(cache.LoadAsync, root, key, ct);

    /// <summary>A lookup through any node loader (a tree writer's, for a tree not stored yet).</summary>
    public static async Task<FileEntry?> GetAsync(Func<Hash, CancellationToken, ValueTask<Node>> load, Hash? root, string key, CancellationToken ct)
    {
        if (root is null) return null;
        var node = await load(root.Value, ct).ConfigureAwait(false);
        while (node.IsOverlay)
        {
            if (node.TryGetChange(key, out var changed)) return changed;
            if (node.Base is not { } b) return null;
            node = await load(b, ct).ConfigureAwait(false);
        }
        while (!node.IsLeaf)
            node = await load(node.Children[node.ChildFor(key)].Id, ct).ConfigureAwait(false);
        var i = node.EntryIndex(key);
        return i < node.Entries.Length && node.Entries[i].Key == key ? node.Entries[i].Value : null;
    }

    /// <summary>File count and byte total of a whole tree: read off the root, O(fanout).</summary>
    public static async Task<(long Count, long Bytes)> TotalsAsync(NodeCache cache, Hash? root, CancellationToken ct)
    {
        if (root is null) return (0, 0);
        var node = await cache.LoadAsync(root.Value, ct).ConfigureAwait(false);
        return (node.Count, node.Bytes);
    }
}

namespace Strata.Core.Tree;

public enum ChangeKind
{
    Added,
    Deleted,
    Modified,
}

/// <summary>One difference between two trees. Old is null when added, New is null when deleted.</summary>
public sealed record TreeChange(string Key, ChangeKind Kind, FileEntry? Old, FileEntry? New);

/// <summary>
/// Differences between two trees in key order. Both sides are walked as frontiers of subtrees
/// and entries; a subtree present on both sides under the same hash is skipped whole, so the
/// cost follows the size of the difference (times the depth), not the size of the trees.
/// </summary>
public static class TreeDiff
{
    private readonly record struct Item(Hash Id, int Level, KeyValuePair<string, FileEntry>? Entry)
    {
        public bool IsRef => Entry is null;
    }

    public static async IAsyncEnumerable<TreeChange> DiffAsync(NodeCache cache, Hash? oldRoot, Hash? newRoot,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var a = new Stack<Item>();
        var b = new Stack<Item>();
        // An overlay is diffed as the tree it stands for, its changes applied in memory.
        var (oldTop, loadA) = await cache.ResolveAsync(oldRoot, ct).ConfigureAwait(false);
        var (newTop, loadB) = await cache.ResolveAsync(newRoot, ct).ConfigureAwait(false);
        if (oldTop is { } o) a.Push(new Item(o, (await loadA(o, ct).ConfigureAwait(false)).Level, null));
        if (newTop is { } n) b.Push(new Item(n, (await loadB(n, ct).ConfigureAwait(false)).Level, null));
        while (a.Count > 0 || b.Count > 0)
        {
            if (a.Count > 0 && b.Count > 0)
            {
                var x = a.Peek();
                var y = b.Peek();
                if (x.IsRef && y.IsRef && x.Id == y.Id)
                {
                    a.Pop();
                    b.Pop();
                    continue;
                }
                if (x.IsRef || y.IsRef)
                {
                    // Open the higher subtree first, so equal subtrees meet at the same level.
                    if (x.IsRef && (!y.IsRef || x.Level >= y.Level)) await ExpandAsync(loadA, a, ct).ConfigureAwait(false);
                    else await ExpandAsync(loadB, b, ct).ConfigureAwait(false);
                    continue;
                }
                var (kx, ex) = x.Entry!.Value;
                var (ky, ey) = y.Entry!.Value;
                var cmp = KeyOrder.Instance.Compare(kx, ky);
                if (cmp < 0)
                {
                    a.Pop();
                    yield return new TreeChange(kx, ChangeKind.Deleted, ex, null);
                }
                else if (cmp > 0)
                {
                    b.Pop();
                    yield return new TreeChange(ky, ChangeKind.Added, null, ey);
                }
                else
                {
                    a.Pop();
                    b.Pop();
                    if (!ReferenceEquals(ex, ey) && (ex.CommitId != ey.CommitId || ex.ETag != ey.ETag || ex.Size != ey.Size))
                        yield return new TreeChange(kx, ChangeKind.Modified, ex, ey);
                }
                continue;
            }
            var side = a.Count > 0 ? a : b;
            var top = side.Peek();
            if (top.IsRef)
            {
                await ExpandAsync(side == a ? loadA : loadB, side, ct).ConfigureAwait(false);
                continue;
            }
            side.Pop();
            var (k, e) = top.Entry!.Value;
            yield return side == a ? new TreeChange(k, ChangeKind.Deleted, e, null) : new TreeChange(k, ChangeKind.Added, null, e);
        }
    }

    private static async Task ExpandAsync(Func<Hash, CancellationToken, ValueTask<Node>> load, Stack<Item> side, CancellationToken ct)
    {
        var top = side.Pop();
        var node = await load(top.Id, ct).ConfigureAwait(false);
        if (node.IsLeaf)
            for (var i = node.Entries.Length - 1; i >= 0; i--) side.Push(new Item(default, 0, node.Entries[i]));
        else
            for (var i = node.Children.Length - 1; i >= 0; i--) side.Push(new Item(node.Children[i].Id, node.Level - 1, null));
    }

    /// <summary>The version rows of a commit: one per key its tree changed against the parent's tree (a removal is a delete marker).</summary>
    public static async Task<List<VersionRow>> VersionRowsAsync(NodeCache cache, Hash? parentRoot, CommitInfo commit, CancellationToken ct)
    {
        var rows = new List<VersionRow>();
        await foreach (var ch in DiffAsync(cache, parentRoot, commit.Root, ct).ConfigureAwait(false))
            rows.Add(ch.New is { } f
                ? new VersionRow(ch.Key, commit.Id, commit.Height, false, f.Size, f.ETag, f.ModifiedUnixMs)
                : new VersionRow(ch.Key, commit.Id, commit.Height, true, 0, "", commit.TimeUnixMs));
        return rows;
    }
}

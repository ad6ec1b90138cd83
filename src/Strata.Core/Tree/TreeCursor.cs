namespace Strata.Core.Tree;

/// <summary>
/// Walks a tree's entries in key order. <see cref="SeekAsync"/> jumps to the first key that
/// satisfies a monotone predicate (false for a prefix of the key order, true after) in O(log N);
/// <see cref="NextAsync"/> steps in amortised O(1). Listings combine the two to skip whole
/// "directories" without reading them.
/// </summary>
public sealed class TreeCursor(NodeCache cache, Hash? root)
{
    private readonly List<(Node Node, int Index)> _path = [];
    private TreeRoot? _tree; // the root resolved (an overlay applied) at the first seek

    public KeyValuePair<string, FileEntry>? Current { get; private set; }

    public Task<bool> SeekAsync(string key, bool inclusive, CancellationToken ct) =>
        SeekAsync(k => KeyOrder.Instance.Compare(k, key) is var c && (inclusive ? c >= 0 : c > 0), ct);

    public async Task<bool> SeekAsync(Func<string, bool> atOrAfter, CancellationToken ct)
    {
        _path.Clear();
        Current = null;
        var tree = _tree ??= await cache.ResolveAsync(root, ct).ConfigureAwait(false);
        if (tree.Root is not { } top) return false;
        var node = await tree.Load(top, ct).ConfigureAwait(false);
        while (true)
        {
            var i = FirstMatch(node, atOrAfter);
            if (i == node.Length) return false;
            _path.Add((node, i));
            if (node.IsLeaf) break;
            node = await tree.Load(node.Children[i].Id, ct).ConfigureAwait(false);
        }
        SetCurrent();
        return true;
    }

    public async Task<bool> NextAsync(CancellationToken ct)
    {
        if (_path.Count == 0) return false;
        var depth = _path.Count - 1;
        // Climb until a node has a next slot, then descend to its leftmost leaf.
        while (depth >= 0 && _path[depth].Index + 1 >= _path[depth].Node.Length) depth--;
        if (depth < 0) { _path.Clear(); Current = null; return false; }
        _path[depth] = (_path[depth].Node, _path[depth].Index + 1);
        _path.RemoveRange(depth + 1, _path.Count - depth - 1);
        var node = _path[depth].Node;
        while (!node.IsLeaf)
        {
            node = await _tree!.Value.Load(node.Children[_path[^1].Index].Id, ct).ConfigureAwait(false);
            _path.Add((node, 0));
        }
        SetCurrent();
        return true;
    }

    private void SetCurrent()
    {
        var (leaf, i) = _path[^1];
        Current = leaf.Entries[i];
    }

    private static int FirstMatch(Node node, Func<string, bool> pred)
    {
        int lo = 0, hi = node.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            var key = node.IsLeaf ? node.Entries[mid].Key : node.Children[mid].MaxKey;
            if (pred(key)) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}

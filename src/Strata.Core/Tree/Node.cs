namespace Strata.Core.Tree;

/// <summary>A child pointer in an internal node: the largest key below it, and its totals.</summary>
public readonly record struct ChildRef(string MaxKey, Hash Id, long Count, long Bytes);

/// <summary>
/// A node of the copy-on-write B+tree. Leaves (Level 0) hold sorted file entries; internal
/// nodes hold sorted child pointers with per-subtree file counts and byte totals.
/// Nodes are immutable and stored under the hash of their encoding.
/// </summary>
/// <remarks>
/// A third kind is only ever a root: an overlay (<see cref="IsOverlay"/>), a stored tree (<see cref="Base"/>)
/// with a few keys changed (<see cref="Changes"/>, null values removed). Group commit stores the
/// intermediate commits of a chain as overlays on the chain's base instead of whole rewritten paths;
/// readers go through <see cref="NodeCache.ResolveAsync"/>, <see cref="TreeReader"/> or <see cref="TreeWriter"/>,
/// which apply the changes. Group commit gives every overlay a whole tree as its base (readers would follow
/// a chain of overlays all the same).
/// </remarks>
public sealed class Node
{
    private readonly long _count, _bytes;

    public int Level { get; }
    public KeyValuePair<string, FileEntry>[] Entries { get; } = [];
    public ChildRef[] Children { get; } = [];
    public Hash? Base { get; }
    public KeyValuePair<string, FileEntry?>[] Changes { get; } = [];

    public Node(KeyValuePair<string, FileEntry>[] entries) { Level = 0; Entries = entries; }
    public Node(int level, ChildRef[] children) { Level = level; Children = children; }

    /// <summary>An overlay: <paramref name="changes"/> sorted by key; count and bytes are the totals of the resulting tree.</summary>
    public Node(Hash? @base, KeyValuePair<string, FileEntry?>[] changes, long count, long bytes)
    {
        Level = -1;
        Base = @base;
        Changes = changes;
        (_count, _bytes) = (count, bytes);
    }

    public bool IsLeaf => Level == 0;
    public bool IsOverlay => Level < 0;
    public int Length => IsLeaf ? Entries.Length : Children.Length;
    public string MaxKey => IsLeaf ? Entries[^1].Key : Children[^1].MaxKey;
    public long Count => IsOverlay ? _count : IsLeaf ? Entries.Length : Children.Sum(c => c.Count);
    public long Bytes => IsOverlay ? _bytes : IsLeaf ? Entries.Sum(e => e.Value.Size) : Children.Sum(c => c.Bytes);

    /// <summary>An overlay's change to <paramref name="key"/>: found (the new entry, or null when removed) or not.</summary>
    public bool TryGetChange(string key, out FileEntry? entry)
    {
        int lo = 0, hi = Changes.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (KeyOrder.Instance.Compare(Changes[mid].Key, key) >= 0) hi = mid; else lo = mid + 1;
        }
        var found = lo < Changes.Length && Changes[lo].Key == key;
        entry = found ? Changes[lo].Value : null;
        return found;
    }

    /// <summary>Index of the first child whose MaxKey is >= key (Length - 1 when key is past all).</summary>
    public int ChildFor(string key)
    {
        int lo = 0, hi = Children.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (KeyOrder.Instance.Compare(Children[mid].MaxKey, key) >= 0) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>Index of the first leaf entry whose key is >= key (Length when none).</summary>
    public int EntryIndex(string key)
    {
        int lo = 0, hi = Entries.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (KeyOrder.Instance.Compare(Entries[mid].Key, key) >= 0) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}

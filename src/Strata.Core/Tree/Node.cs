namespace Strata.Core.Tree;

/// <summary>A child pointer in an internal node: the largest key below it, and its totals.</summary>
public readonly record struct ChildRef(string MaxKey, Hash Id, long Count, long Bytes);

/// <summary>
/// A node of the copy-on-write B+tree. Leaves (Level 0) hold sorted file entries; internal
/// nodes hold sorted child pointers with per-subtree file counts and byte totals.
/// Nodes are immutable and stored under the hash of their encoding.
/// </summary>
public sealed class Node
{
    public int Level { get; }
    public KeyValuePair<string, FileEntry>[] Entries { get; } = [];
    public ChildRef[] Children { get; } = [];

    public Node(KeyValuePair<string, FileEntry>[] entries) { Level = 0; Entries = entries; }
    public Node(int level, ChildRef[] children) { Level = level; Children = children; }

    public bool IsLeaf => Level == 0;
    public int Length => IsLeaf ? Entries.Length : Children.Length;
    public string MaxKey => IsLeaf ? Entries[^1].Key : Children[^1].MaxKey;
    public long Count => IsLeaf ? Entries.Length : Children.Sum(c => c.Count);
    public long Bytes => IsLeaf ? Entries.Sum(e => e.Value.Size) : Children.Sum(c => c.Bytes);

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

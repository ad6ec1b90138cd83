using Strata.Core.Storage;

namespace Strata.Core.Tree;

/// <summary>
/// Loads tree nodes from the metadata store and keeps recently used ones decoded in memory,
/// bounded by their encoded size (FIFO eviction: nodes are immutable, so any entry is valid).
/// Internal nodes and leaves are evicted separately: every lookup, write and list seek passes
/// through the internal nodes above its leaf, and they are few (about one per 64 leaves), so a
/// stream of leaves (a listing, writes at random keys of a big tree) must not push them out. They
/// get a quarter of the capacity, the leaves the rest.
/// </summary>
public sealed class NodeCache(IMetadataStore meta, long capacityBytes = 64L << 20)
{
    private readonly BoundedFifoCache<Hash, (Node Node, int Size)> _leaves = new(capacityBytes - capacityBytes / 4, e => e.Size);
    private readonly BoundedFifoCache<Hash, (Node Node, int Size)> _internal = new(capacityBytes / 4, e => e.Size);

    public async ValueTask<Node> LoadAsync(Hash id, CancellationToken ct)
    {
        if (TryGet(id, out var hit)) return hit;
        var data = await meta.GetNodeAsync(id, ct).ConfigureAwait(false)
            ?? throw new StrataException(StoreError.Corrupt, $"tree node {id} is missing");
        var node = NodeCodec.Decode(data);
        Add(id, node, data.Length);
        return node;
    }

    /// <summary>
    /// A tree to walk: a stored root as it is, or an overlay's changes applied to its base in memory
    /// (O(k log n) for k changes; the nodes made live as long as the returned loader).
    /// </summary>
    public async ValueTask<TreeRoot> ResolveAsync(Hash? root, CancellationToken ct)
    {
        if (root is not { } r || !(await LoadAsync(r, ct).ConfigureAwait(false)).IsOverlay) return new TreeRoot(root, LoadAsync);
        var writer = new TreeWriter(this);
        return new TreeRoot(await writer.ApplyAsync(root, [], ct).ConfigureAwait(false), writer.LoadAsync);
    }

    public bool TryGet(Hash id, out Node node)
    {
        // Internal nodes first: every lookup passes through several of them, and through one leaf.
        var hit = _internal.TryGet(id, out var entry) || _leaves.TryGet(id, out entry);
        node = entry.Node;
        return hit;
    }

    public void Add(Hash id, Node node, int size) => (node.Level > 0 ? _internal : _leaves).Add(id, (node, size)); // overlays with the leaves: old commits, rarely read
}

/// <summary>A tree's root and the loader for its nodes (see <see cref="NodeCache.ResolveAsync"/>).</summary>
public readonly record struct TreeRoot(Hash? Root, Func<Hash, CancellationToken, ValueTask<Node>> Load);

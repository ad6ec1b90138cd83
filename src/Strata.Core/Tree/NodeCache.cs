using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<Hash, (Node Node, int Size)> _nodes = new();
    private readonly Fifo _leaves = new(capacityBytes - capacityBytes / 4);
    private readonly Fifo _internal = new(capacityBytes / 4);

    public async ValueTask<Node> LoadAsync(Hash id, CancellationToken ct)
    {
        if (_nodes.TryGetValue(id, out var hit)) return hit.Node;
        var data = await meta.GetNodeAsync(id, ct).ConfigureAwait(false)
            ?? throw new StrataException(StoreError.Corrupt, $"tree node {id} is missing");
        var node = NodeCodec.Decode(data);
        Add(id, node, data.Length);
        return node;
    }

    public bool TryGet(Hash id, out Node node)
    {
        var hit = _nodes.TryGetValue(id, out var entry);
        node = entry.Node;
        return hit;
    }

    public void Add(Hash id, Node node, int size)
    {
        if (!_nodes.TryAdd(id, (node, size))) return;
        var fifo = node.IsLeaf ? _leaves : _internal;
        fifo.Order.Enqueue(id);
        Interlocked.Add(ref fifo.Bytes, size);
        while (Interlocked.Read(ref fifo.Bytes) > fifo.Capacity && fifo.Order.TryDequeue(out var old))
            if (_nodes.TryRemove(old, out var gone)) Interlocked.Add(ref fifo.Bytes, -gone.Size);
    }

    private sealed class Fifo(long capacity)
    {
        public readonly long Capacity = capacity;
        public readonly ConcurrentQueue<Hash> Order = new();
        public long Bytes;
    }
}

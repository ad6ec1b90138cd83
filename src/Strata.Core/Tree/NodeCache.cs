using System.Collections.Concurrent;
using Strata.Core.Storage;

namespace Strata.Core.Tree;

/// <summary>
/// Loads tree nodes from the metadata store and keeps recently used ones decoded in memory,
/// bounded by their encoded size (FIFO eviction: nodes are immutable, so any entry is valid).
/// </summary>
public sealed class NodeCache(IMetadataStore meta, long capacityBytes = 64L << 20)
{
    private readonly ConcurrentDictionary<Hash, (Node Node, int Size)> _nodes = new();
    private readonly ConcurrentQueue<Hash> _order = new();
    private long _bytes;

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
        _order.Enqueue(id);
        Interlocked.Add(ref _bytes, size);
        while (Interlocked.Read(ref _bytes) > capacityBytes && _order.TryDequeue(out var old))
            if (_nodes.TryRemove(old, out var gone)) Interlocked.Add(ref _bytes, -gone.Size);
    }
}

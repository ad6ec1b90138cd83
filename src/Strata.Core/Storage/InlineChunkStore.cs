using Strata.Core.Chunking;

namespace Strata.Core.Storage;

/// <summary>
/// The chunk store as readers see it: a chunk of at most <see cref="ContentWriter.InlineLimit"/> bytes
/// may have been stored with its commit in the metadata store (beside the tree nodes, under its own
/// hash), so it is looked up there first; everything else goes to the chunk store itself.
/// </summary>
public sealed class InlineChunkStore(IMetadataStore meta, IChunkStore inner, long cacheBytes = 32L << 20) : DelegatingChunkStore(inner)
{
    // Recently read small chunks, bounded by size (FIFO: a chunk never changes, so any entry is valid).
    private readonly BoundedFifoCache<Hash, byte[]> _cache = new(cacheBytes, data => data.Length);

    public override async Task<Stream> OpenAsync(ChunkRef chunk, long offset, CancellationToken ct)
    {
        if (chunk.Length <= ContentWriter.InlineLimit && (_cache.TryGet(chunk.Id, out var data) || (data = await FetchAsync(chunk.Id, ct).ConfigureAwait(false)) is not null))
            return new MemoryStream(data, (int)Math.Min(offset, data.Length), (int)Math.Max(0, data.Length - offset), writable: false);
        return await Inner.OpenAsync(chunk.Id, offset, ct).ConfigureAwait(false);
    }

    private async Task<byte[]?> FetchAsync(Hash id, CancellationToken ct)
    {
        var data = await meta.GetNodeAsync(id, ct).ConfigureAwait(false);
        if (data is not null) _cache.Add(id, data);
        return data;
    }
}

using Strata.Core.Chunking;

namespace Strata.Core.Storage;

/// <summary>
/// The chunk store as readers see it: a chunk of at most <see cref="ContentWriter.InlineLimit"/> bytes
/// may have been stored with its commit in the metadata store (beside the tree nodes, under its own
/// hash), so it is looked up there first; everything else goes to the chunk store itself.
/// </summary>
public sealed class InlineChunkStore(IMetadataStore meta, IChunkStore inner, long cacheBytes = 32L << 20) : IChunkStore, ILeftovers
{
    // Recently read small chunks, bounded by size (FIFO: a chunk never changes, so any entry is valid).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Hash, byte[]> _cache = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Hash> _order = new();
    private long _cached;

    public IChunkStore Inner => inner;

    public async Task<Stream> OpenAsync(ChunkRef chunk, long offset, CancellationToken ct)
    {
        if (chunk.Length <= ContentWriter.InlineLimit && (_cache.TryGetValue(chunk.Id, out var data) || (data = await FetchAsync(chunk.Id, ct).ConfigureAwait(false)) is not null))
            return new MemoryStream(data, (int)Math.Min(offset, data.Length), (int)Math.Max(0, data.Length - offset), writable: false);
        return await inner.OpenAsync(chunk.Id, offset, ct).ConfigureAwait(false);
    }

    private async Task<byte[]?> FetchAsync(Hash id, CancellationToken ct)
    {
        var data = await meta.GetNodeAsync(id, ct).ConfigureAwait(false);
        if (data is null || !_cache.TryAdd(id, data)) return data;
        _order.Enqueue(id);
        Interlocked.Add(ref _cached, data.Length);
        while (Interlocked.Read(ref _cached) > cacheBytes && _order.TryDequeue(out var old))
            if (_cache.TryRemove(old, out var gone)) Interlocked.Add(ref _cached, -gone.Length);
        return data;
    }

    public Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct) => inner.StatAsync(id, ct);
    public Task ProbeAsync(CancellationToken ct) => inner.ProbeAsync(ct);
    public Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct) => inner.PutAsync(id, data, ct);
    public Task PutAsync(Hash id, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken ct) => inner.PutAsync(id, pieces, ct);
    public Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct) => inner.OpenAsync(id, offset, ct);
    public Task<bool> TouchAsync(Hash id, CancellationToken ct) => inner.TouchAsync(id, ct);
    public IAsyncEnumerable<ChunkStat> ListAsync(CancellationToken ct) => inner.ListAsync(ct);
    public Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct) => inner.DeleteAsync(ids, ct);
    public TimeSpan TouchResolution => inner.TouchResolution;
    public int WriteConcurrency => inner.WriteConcurrency;
    public int ReadAhead => inner.ReadAhead;

    public IReadOnlyList<string> ListLeftovers(TimeSpan age) => inner is ILeftovers l ? l.ListLeftovers(age) : [];

    public void DeleteLeftover(string name)
    {
        if (inner is ILeftovers l) l.DeleteLeftover(name);
    }
}

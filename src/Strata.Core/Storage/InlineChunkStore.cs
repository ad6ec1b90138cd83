using Strata.Core.Chunking;

namespace Strata.Core.Storage;

/// <summary>
/// The chunk store as readers see it: a chunk of at most <see cref="ContentWriter.InlineLimit"/> bytes
/// may have been stored with its commit in the metadata store (beside the tree nodes, under its own
/// hash), so it is looked up there first; everything else goes to the chunk store itself.
/// </summary>
public sealed class InlineChunkStore(IMetadataStore meta, IChunkStore inner) : IChunkStore, ILeftovers
{
    public IChunkStore Inner => inner;

    public async Task<Stream> OpenAsync(ChunkRef chunk, long offset, CancellationToken ct)
    {
        if (chunk.Length <= ContentWriter.InlineLimit && await meta.GetNodeAsync(chunk.Id, ct).ConfigureAwait(false) is { } data)
            return new MemoryStream(data, (int)Math.Min(offset, data.Length), (int)Math.Max(0, data.Length - offset), writable: false);
        return await inner.OpenAsync(chunk.Id, offset, ct).ConfigureAwait(false);
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

namespace Strata.Core.Storage;

/// <summary>
/// A chunk store that passes every call to another: the base of the decorators (small chunks kept
/// with their commit, metrics), which override only what they change.
/// </summary>
public abstract class DelegatingChunkStore(IChunkStore inner) : IChunkStore, ILeftovers
{
    public IChunkStore Inner => inner;

    public virtual Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct) => inner.StatAsync(id, ct);
    public virtual Task<bool> ExistsAsync(Hash id, CancellationToken ct) => inner.ExistsAsync(id, ct);
    public virtual Task ProbeAsync(CancellationToken ct) => inner.ProbeAsync(ct);
    public virtual Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct) => inner.PutAsync(id, data, ct);
    public virtual Task PutAsync(Hash id, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken ct) => inner.PutAsync(id, pieces, ct);
    public virtual Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct) => inner.OpenAsync(id, offset, ct);
    public virtual Task<Stream> OpenAsync(ChunkRef chunk, long offset, CancellationToken ct) => inner.OpenAsync(chunk, offset, ct);
    public virtual Task<bool> TouchAsync(Hash id, CancellationToken ct) => inner.TouchAsync(id, ct);
    public virtual IAsyncEnumerable<ChunkStat> ListAsync(CancellationToken ct) => inner.ListAsync(ct);
    public virtual Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct) => inner.DeleteAsync(ids, ct);
    public TimeSpan TouchResolution => inner.TouchResolution;
    public int WriteConcurrency => inner.WriteConcurrency;
    public int ReadAhead => inner.ReadAhead;

    public IReadOnlyList<string> ListLeftovers(TimeSpan age) => inner is ILeftovers l ? l.ListLeftovers(age) : [];

    public void DeleteLeftover(string name)
    {
        if (inner is ILeftovers l) l.DeleteLeftover(name);
    }
}

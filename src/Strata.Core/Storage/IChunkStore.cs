namespace Strata.Core.Storage;

/// <summary>A stored chunk: its length and when it was last written or freshened (garbage collection's grace period counts from then).</summary>
public readonly record struct ChunkStat(Hash Id, long Length, DateTimeOffset Touched);

/// <summary>
/// Content-addressed chunk storage. A chunk is written once under its hash and never changes,
/// so any node may cache or re-read it freely. Put must be durable when it returns.
/// </summary>
public interface IChunkStore
{
    /// <summary>The chunk's length and touch time; null if it is missing.</summary>
    Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct);

    async Task<bool> ExistsAsync(Hash id, CancellationToken ct) => await StatAsync(id, ct).ConfigureAwait(false) is not null;

    /// <summary>Throws when the store cannot be reached or used (the readiness probe).</summary>
    Task ProbeAsync(CancellationToken ct) => StatAsync(Hash.Of([]), ct);

    Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>
    /// Stores a chunk given as consecutive pieces (a body is read in blocks, and a chunk spans several):
    /// a store that can write them as they are overrides this; by default they are joined in a pooled buffer.
    /// </summary>
    async Task PutAsync(Hash id, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken ct)
    {
        if (pieces.Count == 1)
        {
            await PutAsync(id, pieces[0], ct).ConfigureAwait(false);
            return;
        }
        var length = 0;
        foreach (var p in pieces) length += p.Length;
        var joined = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            foreach (var p in pieces)
            {
                p.CopyTo(joined.AsMemory(at));
                at += p.Length;
            }
            await PutAsync(id, joined.AsMemory(0, length), ct).ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(joined);
        }
    }

    /// <summary>
    /// Opens a chunk for reading from <paramref name="offset"/> on (a remote store reads only
    /// that range); throws StrataException(Corrupt) if it is missing.
    /// </summary>
    Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct);

    /// <summary>Opens a chunk a file references (its length tells where a small one may be kept; see <see cref="InlineChunkStore"/>).</summary>
    Task<Stream> OpenAsync(ChunkRef chunk, long offset, CancellationToken ct) => OpenAsync(chunk.Id, offset, ct);

    /// <summary>
    /// Sets the chunk's touch time to now without changing its bytes, so that a write which reuses
    /// an old chunk keeps it out of garbage collection's reach. False if the chunk is missing.
    /// </summary>
    Task<bool> TouchAsync(Hash id, CancellationToken ct);

    /// <summary>Every chunk in ascending hash order (the sweep merges this with its sorted mark).</summary>
    IAsyncEnumerable<ChunkStat> ListAsync(CancellationToken ct);

    /// <summary>Deletes chunks; a missing one is not an error.</summary>
    Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct);

    /// <summary>
    /// How coarse the store's touch times may be (S3's LastModified has whole seconds): garbage
    /// collection only sweeps chunks touched at least this long before its cutoff.
    /// </summary>
    TimeSpan TouchResolution => TimeSpan.Zero;

    /// <summary>How many chunk writes of one upload may be in flight at once (a remote store hides its latency this way).</summary>
    int WriteConcurrency => 1;

    /// <summary>How many chunks after the one being read a reader opens ahead of time (a remote store hides its latency this way).</summary>
    int ReadAhead => 0;
}

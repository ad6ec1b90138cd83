namespace Strata.Core.Storage;

/// <summary>
/// Content-addressed chunk storage. A chunk is written once under its hash and never changes,
/// so any node may cache or re-read it freely. Put must be durable when it returns.
/// </summary>
public interface IChunkStore
{
    Task<bool> ExistsAsync(Hash id, CancellationToken ct);
    Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>
    /// Opens a chunk for reading from <paramref name="offset"/> on (a remote store reads only
    /// that range); throws StrataException(Corrupt) if it is missing.
    /// </summary>
    Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct);

    /// <summary>How many chunk writes of one upload may be in flight at once (a remote store hides its latency this way).</summary>
    int WriteConcurrency => 1;

    /// <summary>How many chunks after the one being read a reader opens ahead of time (a remote store hides its latency this way).</summary>
    int ReadAhead => 0;
}

namespace Strata.Core.Storage;

/// <summary>Content-addressed chunk storage. Put must be durable when it returns.</summary>
public interface IChunkStore
{
    Task<bool> ExistsAsync(Hash id, CancellationToken ct);
    Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct);
    /// <summary>Opens a chunk for reading; throws StrataException(Corrupt) if it is missing.</summary>
    Stream Open(Hash id);
}

using Strata.Core.Storage;

namespace Strata.Core;

/// <summary>Streams a byte range of a file by reading its chunks one after another.</summary>
public static class ContentReader
{
    public static Task CopyToAsync(IChunkStore chunks, FileEntry file, long offset, long length, Stream output, CancellationToken ct) =>
        VisitAsync(chunks, file, offset, length, output.WriteAsync, ct);

    /// <summary>
    /// Hands a byte range of a file, in order, to <paramref name="visit"/> one pooled buffer at a
    /// time. For a remote store the next chunks are opened while the current one is read
    /// (<see cref="IChunkStore.ReadAhead"/>), so a request's round trip is not paid per chunk.
    /// </summary>
    public static async Task VisitAsync(IChunkStore chunks, FileEntry file, long offset, long length,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> visit, CancellationToken ct)
    {
        var ahead = new Queue<(Task<Stream> Open, long Count)>();
        var depth = Math.Max(0, chunks.ReadAhead);
        using var pieces = Pieces(file, offset, offset + length).GetEnumerator();
        var more = true;
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(256 << 10); // large reads and writes: fewer system calls and response flushes per MiB
        try
        {
            while (true)
            {
                while (more && ahead.Count <= depth && (more = pieces.MoveNext()))
                    ahead.Enqueue((chunks.OpenAsync(pieces.Current.Chunk, pieces.Current.From, ct), pieces.Current.Count));
                if (ahead.Count == 0) break;
                var (open, count) = ahead.Dequeue();
                await using var s = await open.ConfigureAwait(false);
                while (count > 0)
                {
                    var n = await s.ReadAsync(buf.AsMemory(0, (int)Math.Min(buf.Length, count)), ct).ConfigureAwait(false);
                    if (n == 0) throw new StrataException(StoreError.Corrupt, "chunk shorter than recorded");
                    await visit(buf.AsMemory(0, n), ct).ConfigureAwait(false);
                    count -= n;
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf);
            // Streams opened ahead and not read (the range ended early, or a failure) are released.
            while (ahead.Count > 0)
                try { await (await ahead.Dequeue().Open.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
                catch (Exception) { /* already failing, or the chunk was never needed */ }
        }
    }

    /// <summary>The pieces of chunks a byte range covers, lazily: (chunk, offset in it, byte count).</summary>
    private static IEnumerable<(ChunkRef Chunk, long From, long Count)> Pieces(FileEntry file, long offset, long end)
    {
        long pos = 0;
        foreach (var c in file.Chunks)
        {
            var cStart = pos;
            pos += c.Length;
            if (pos <= offset) continue;
            if (cStart >= end) yield break;
            var from = Math.Max(offset, cStart) - cStart;
            yield return (c, from, Math.Min(end, pos) - cStart - from);
        }
    }
}

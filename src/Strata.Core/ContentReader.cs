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
        // The pieces of chunks the range covers: (chunk, offset in it, byte count).
        var pieces = new List<(Hash Id, long From, long Count)>();
        long pos = 0;
        var end = offset + length;
        foreach (var c in file.Chunks)
        {
            var cStart = pos;
            pos += c.Length;
            if (pos <= offset) continue;
            if (cStart >= end) break;
            var from = Math.Max(offset, cStart) - cStart;
            pieces.Add((c.Id, from, Math.Min(end, pos) - cStart - from));
        }
        var ahead = new Queue<Task<Stream>>();
        var depth = Math.Max(0, chunks.ReadAhead);
        var next = 0;
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            for (var i = 0; i < pieces.Count; i++)
            {
                while (next < pieces.Count && next <= i + depth)
                {
                    var p = pieces[next++];
                    ahead.Enqueue(chunks.OpenAsync(p.Id, p.From, ct));
                }
                await using var s = await ahead.Dequeue().ConfigureAwait(false);
                var count = pieces[i].Count;
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
                try { await (await ahead.Dequeue().ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
                catch (Exception) { /* already failing, or the chunk was never needed */ }
        }
    }
}

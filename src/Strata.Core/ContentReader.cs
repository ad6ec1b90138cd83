using Strata.Core.Storage;

namespace Strata.Core;

/// <summary>Streams a byte range of a file by reading its chunks one after another.</summary>
public static class ContentReader
{
    public static Task CopyToAsync(IChunkStore chunks, FileEntry file, long offset, long length, Stream output, CancellationToken ct) =>
        VisitAsync(chunks, file, offset, length, output.WriteAsync, ct);

    /// <summary>Hands a byte range of a file, in order, to <paramref name="visit"/> one pooled buffer at a time.</summary>
    public static async Task VisitAsync(IChunkStore chunks, FileEntry file, long offset, long length,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> visit, CancellationToken ct)
    {
        long pos = 0;
        var end = offset + length;
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            foreach (var c in file.Chunks)
            {
                var cStart = pos;
                pos += c.Length;
                if (pos <= offset) continue;
                if (cStart >= end) break;
                var from = Math.Max(offset, cStart) - cStart;
                var count = Math.Min(end, pos) - cStart - from;
                await using var s = await chunks.OpenAsync(c.Id, from, ct).ConfigureAwait(false);
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
        }
    }
}

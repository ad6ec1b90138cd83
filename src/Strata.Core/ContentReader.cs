using Strata.Core.Storage;

namespace Strata.Core;

/// <summary>Streams a byte range of a file by reading its chunks one after another.</summary>
public static class ContentReader
{
    public static async Task CopyToAsync(IChunkStore chunks, FileEntry file, long offset, long length, Stream output, CancellationToken ct)
    {
        long pos = 0;
        var end = offset + length;
        foreach (var c in file.Chunks)
        {
            var cStart = pos;
            pos += c.Length;
            if (pos <= offset) continue;
            if (cStart >= end) break;
            var from = Math.Max(offset, cStart) - cStart;
            var to = Math.Min(end, pos) - cStart;
            await using var s = chunks.Open(c.Id);
            if (from > 0) s.Seek(from, SeekOrigin.Begin);
            await CopyExactlyAsync(s, output, to - from, ct).ConfigureAwait(false);
        }
    }

    private static async Task CopyExactlyAsync(Stream src, Stream dst, long count, CancellationToken ct)
    {
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            while (count > 0)
            {
                var n = await src.ReadAsync(buf.AsMemory(0, (int)Math.Min(buf.Length, count)), ct).ConfigureAwait(false);
                if (n == 0) throw new StrataException(StoreError.Corrupt, "chunk shorter than recorded");
                await dst.WriteAsync(buf.AsMemory(0, n), ct).ConfigureAwait(false);
                count -= n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf);
        }
    }
}

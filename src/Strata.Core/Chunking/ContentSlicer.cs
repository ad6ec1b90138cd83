using System.Buffers;
using System.Security.Cryptography;
using Strata.Core.Storage;

namespace Strata.Core.Chunking;

/// <summary>
/// Makes new content from a byte range of an existing file (UploadPartCopy): chunks wholly
/// inside the range are reused as they are; only the partial chunks at its two edges are
/// rewritten. The range's bytes are read once, for the MD5 that S3 reports as the part's ETag.
/// </summary>
public static class ContentSlicer
{
    /// <summary>
    /// The MD5 on record of a range that is exactly one recorded part of a multipart object (or
    /// all of a single-part one); null for any other range.
    /// </summary>
    public static byte[]? KnownMd5(FileEntry file, long start, long length)
    {
        byte[]? md5 = null;
        if (file.Parts.Count == 0)
        {
            if (start == 0 && length == file.Size && !file.ETag.Contains('-')) md5 = Convert.FromHexString(file.ETag.Trim('"'));
        }
        else
        {
            long offset = 0;
            foreach (var p in file.Parts)
            {
                if (offset == start && p.Size == length && p.Md5 is not null) md5 = Convert.FromHexString(p.Md5);
                offset += p.Size;
            }
        }
        return md5;
    }

    /// <summary>
    /// The content of a range that is exactly one recorded part of a multipart object (or all of
    /// a single-part one) whose bounds are chunk bounds, taken without reading a byte: its MD5 is
    /// on record. Null when the range is anything else. (A multipart object completed before its
    /// seams were re-chunked has its part bounds on chunk bounds; one completed since usually does
    /// not: <see cref="SliceAsync"/> with <see cref="KnownMd5"/> then reads only the edge chunks.)
    /// </summary>
    public static ContentInfo? TryWholePart(FileEntry file, long start, long length)
    {
        if (KnownMd5(file, start, length) is not { } md5) return null;
        var list = new List<ChunkRef>();
        long pos = 0;
        foreach (var c in file.Chunks)
        {
            if (pos >= start && pos + c.Length <= start + length) list.Add(c);
            pos += c.Length;
        }
        if (list.Sum(c => (long)c.Length) != length) return null; // bounds not on chunk bounds after all
        return new ContentInfo(length, md5, ContentAddress.Of(list), list);
    }

    /// <param name="observe">Sees every byte of the range in order (to compute a checksum in the same pass).</param>
    /// <param name="knownMd5">The range's MD5 when it is on record (<see cref="KnownMd5"/>): then, unless
    /// <paramref name="observe"/> needs them, the chunks wholly inside the range are not read at all.</param>
    public static async Task<ContentInfo> SliceAsync(ContentWriter writer, FileEntry file, long start, long length,
        Action<ReadOnlyMemory<byte>>? observe, CancellationToken ct, byte[]? knownMd5 = null)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var list = new List<ChunkRef>();
        var reuse = new ReuseTracker();
        var end = start + length;
        long pos = 0;
        var buf = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            foreach (var c in file.Chunks)
            {
                var cStart = pos;
                pos += c.Length;
                if (pos <= start) continue;
                if (cStart >= end) break;
                var from = (int)(Math.Max(start, cStart) - cStart);
                var to = (int)(Math.Min(end, pos) - cStart);
                var whole = from == 0 && to == c.Length;
                if (whole && knownMd5 is not null && observe is null)
                {
                    list.Add(c);
                    continue;
                }
                await using var s = await writer.Chunks.OpenAsync(c, from, ct).ConfigureAwait(false);
                if (whole)
                {
                    await HashAsync(s, md5, observe, c.Length, buf, ct).ConfigureAwait(false);
                    list.Add(c);
                    continue;
                }
                // An edge piece is smaller than a chunk (at most 4 MiB): it goes through a pooled buffer.
                var piece = ArrayPool<byte>.Shared.Rent(to - from);
                try
                {
                    var mem = piece.AsMemory(0, to - from);
                    await s.ReadExactlyAsync(mem, ct).ConfigureAwait(false);
                    md5.AppendData(mem.Span);
                    observe?.Invoke(mem);
                    var id = Hash.Of(mem.Span);
                    await writer.StoreAsync(id, mem, reuse, ct).ConfigureAwait(false);
                    list.Add(new ChunkRef(id, mem.Length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(piece);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
        var digest = md5.GetHashAndReset();
        return new ContentInfo(length, knownMd5 is not null && observe is null ? knownMd5 : digest, ContentAddress.Of(list), list) { OldestReused = reuse.Oldest };
    }

    private static async Task HashAsync(Stream s, IncrementalHash md5, Action<ReadOnlyMemory<byte>>? observe, long count, byte[] buf, CancellationToken ct)
    {
        while (count > 0)
        {
            var n = await s.ReadAsync(buf.AsMemory(0, (int)Math.Min(buf.Length, count)), ct).ConfigureAwait(false);
            if (n == 0) throw new StrataException(StoreError.Corrupt, "chunk shorter than recorded");
            md5.AppendData(buf, 0, n);
            observe?.Invoke(buf.AsMemory(0, n));
            count -= n;
        }
    }
}

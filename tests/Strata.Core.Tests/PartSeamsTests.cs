using System.Collections.Concurrent;
using Strata.Core;
using Strata.Core.Chunking;
using Strata.Core.Storage;
using Strata.Core.Tree;
using Strata.Storage.FileSystem;
using Strata.Storage.Sqlite;

namespace Strata.Core.Tests;

/// <summary>Completing a multipart upload re-chunks the seams between parts: the object gets the chunks of its whole stream.</summary>
public sealed class PartSeamsTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int MiB = 1 << 20;
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-seams-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class MemoryChunks : IChunkStore
    {
        public readonly ConcurrentDictionary<Hash, byte[]> Data = [];
        public int Puts;
        public long Opened;
        public Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct) =>
            Task.FromResult<ChunkStat?>(Data.TryGetValue(id, out var d) ? new ChunkStat(id, d.Length, DateTimeOffset.UtcNow) : null);
        public Task<bool> TouchAsync(Hash id, CancellationToken ct) => Task.FromResult(Data.ContainsKey(id));
        public IAsyncEnumerable<ChunkStat> ListAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct) => throw new NotSupportedException();
        public Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            Interlocked.Increment(ref Puts);
            Data[id] = data.ToArray();
            return Task.CompletedTask;
        }
        public Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct)
        {
            Interlocked.Add(ref Opened, Data[id].Length - offset);
            return Task.FromResult<Stream>(new MemoryStream(Data[id], (int)offset, Data[id].Length - (int)offset, false));
        }
        public int WriteConcurrency { get; init; } = 1;
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<List<IReadOnlyList<ChunkRef>>> PartsAsync(ContentWriter w, byte[] data, IEnumerable<int> sizes)
    {
        var parts = new List<IReadOnlyList<ChunkRef>>();
        var off = 0;
        foreach (var size in sizes)
        {
            parts.Add((await w.WriteAsync(new MemoryStream(data, off, size, false), Ct)).Chunks);
            off += size;
        }
        Assert.Equal(data.Length, off);
        return parts;
    }

    private static IEnumerable<int> Split(int total, int part)
    {
        for (var off = 0; off < total; off += part) yield return Math.Min(part, total - off);
    }

    private static async Task<byte[]> ReadAsync(IChunkStore chunks, IReadOnlyList<ChunkRef> list)
    {
        var ms = new MemoryStream();
        foreach (var c in list)
        {
            await using var s = await chunks.OpenAsync(c.Id, 0, Ct);
            await s.CopyToAsync(ms);
        }
        return ms.ToArray();
    }

    [Fact]
    public async Task SeamsCutWhereAWholePutDoesWithManyChunksToAReadBlock()
    {
        // Small chunks: a seam's read block holds several cuts; runs of zeros make chunks end at MaxSize.
        var cdc = new FastCdc(1024, 4096, 16384);
        var chunks = new MemoryChunks();
        var w = new ContentWriter(chunks, null, cdc);
        var data = RandomBytes(3 * MiB, 17);
        for (var off = 0; off < data.Length; off += 200_000) data.AsSpan(off, Math.Min(50_000, data.Length - off)).Clear();
        var whole = (await w.WriteAsync(new MemoryStream(data), Ct)).Chunks;
        Assert.Contains(whole, c => c.Length == cdc.MaxSize);
        Assert.Equal(ChunkerTests.CutAll(cdc, data), whole.Select(c => c.Length).ToList());
        var rnd = new Random(9);
        var sizes = new List<int>();
        for (var left = data.Length; left > 0; left -= sizes[^1]) sizes.Add(Math.Min(left, rnd.Next(1, 300_000)));
        var joined = await PartSeams.JoinAsync(w, await PartsAsync(w, data, sizes), Ct, cdc);
        Assert.Equal(whole, joined.Chunks);
    }

    [Fact]
    public async Task JoinedPartsHaveTheChunksOfTheWholeStreamForAnySplit()
    {
        var chunks = new MemoryChunks();
        var w = new ContentWriter(chunks);
        var data = RandomBytes(40 * MiB + 1, 11);
        var whole = (await w.WriteAsync(new MemoryStream(data), Ct)).Chunks;
        var rnd = new Random(5);
        var splits = new List<List<int>>
        {
            Split(data.Length, 5 * MiB).ToList(), // rclone; the last part is 1 byte
            Split(data.Length, 8 * MiB).ToList(), // the AWS CLI
            Split(data.Length, 16 * MiB).ToList(),
            new List<int> { data.Length },
        };
        // Parts smaller than a chunk (S3 allows them only last, the joining does not care): seams run across several parts.
        for (var k = 0; k < 4; k++)
        {
            var sizes = new List<int>();
            for (var left = data.Length; left > 0;)
            {
                var s = Math.Min(left, rnd.Next(4) switch { 0 => rnd.Next(1, 1000), 1 => rnd.Next(1, 300_000), 2 => rnd.Next(1, 2 * MiB), _ => rnd.Next(1, 9 * MiB) });
                sizes.Add(s);
                left -= s;
            }
            splits.Add(sizes);
        }
        foreach (var sizes in splits)
        {
            var parts = await PartsAsync(w, data, sizes);
            var joined = await PartSeams.JoinAsync(w, parts, Ct);
            Assert.Equal(whole, joined.Chunks);
            Assert.Equal(data, await ReadAsync(chunks, joined.Chunks));
            // The cost: the seams' bytes, not the object's (a part boundary costs a few chunks at most).
            Assert.True(joined.BytesRead <= (long)(sizes.Count - 1) * 3 * FastCdc.Default.MaxSize, $"read {joined.BytesRead} for {sizes.Count} parts");
        }
    }

    [Fact]
    public async Task ConcurrentChunkWritesGiveTheSameChunks()
    {
        var chunks = new MemoryChunks { WriteConcurrency = 4 };
        var w = new ContentWriter(chunks);
        var data = RandomBytes(30 * MiB, 12);
        var whole = (await w.WriteAsync(new MemoryStream(data), Ct)).Chunks;
        var joined = await PartSeams.JoinAsync(w, await PartsAsync(w, data, Split(data.Length, 5 * MiB)), Ct);
        Assert.Equal(whole, joined.Chunks);
    }

    [Fact]
    public async Task SeamReadingRefusesADamagedPartChunk()
    {
        var chunks = new MemoryChunks();
        var w = new ContentWriter(chunks);
        var data = RandomBytes(12 * MiB, 13);
        var parts = await PartsAsync(w, data, Split(data.Length, 5 * MiB));
        var lastOfFirst = parts[0][^1].Id;
        chunks.Data[lastOfFirst][100] ^= 1;
        var e = await Assert.ThrowsAsync<StrataException>(() => PartSeams.JoinAsync(w, parts, Ct));
        Assert.Equal(StoreError.Corrupt, e.Error);
    }

    [Fact]
    public async Task CopiedPartsKeepTheirBytesAndMostOfTheWholeChunking()
    {
        var chunks = new MemoryChunks();
        var w = new ContentWriter(chunks);
        var data = RandomBytes(30 * MiB, 14);
        var whole = await w.WriteAsync(new MemoryStream(data), Ct);
        var source = new FileEntry
        {
            Size = whole.Size, ETag = "\"" + Convert.ToHexStringLower(whole.Md5) + "\"", ContentHash = whole.ContentHash, CommitId = "c", ModifiedUnixMs = 0, Chunks = whole.Chunks,
        };
        // UploadPartCopy of 7 MiB ranges, then one uploaded part: slices reuse the source's chunks and rewrite their edges.
        var parts = new List<IReadOnlyList<ChunkRef>>();
        for (var off = 0L; off < 21 * MiB; off += 7 * MiB)
            parts.Add((await ContentSlicer.SliceAsync(w, source, off, 7 * MiB, null, Ct)).Chunks);
        parts.Add((await w.WriteAsync(new MemoryStream(data, 21 * MiB, 9 * MiB, false), Ct)).Chunks);
        var joined = await PartSeams.JoinAsync(w, parts, Ct);
        Assert.Equal(data, await ReadAsync(chunks, joined.Chunks));
        var shared = joined.Chunks.Intersect(whole.Chunks).Sum(c => (long)c.Length);
        Assert.True(shared >= data.Length * 8L / 10, $"{shared} of {data.Length} bytes in the whole stream's chunks");
    }

    [Fact]
    public async Task CompletedUploadsOfTheSameBytesStoreTheWholeStreamsChunksOnDisk()
    {
        var store = new VersionedStore(new SqliteMetadataStore(Path.Combine(_dir, "meta.db")), new FileChunkStore(Path.Combine(_dir, "chunks")));
        var bucket = new BucketRef("seams", "master", null);
        await store.CreateBranchAsync("seams", "master", Ct);
        var data = RandomBytes(40 * MiB + 12345, 15);
        var whole = await store.Content.WriteAsync(new MemoryStream(data), Ct);
        foreach (var partSize in new[] { 5 * MiB, 8 * MiB })
        {
            var u = await store.Uploads.CreateAsync(bucket, "k", [], null, null, Ct);
            var n = 0;
            foreach (var (off, size) in Split(data.Length, partSize).Select((s, i) => ((long)i * partSize, s)))
                await store.Uploads.PutPartAsync(u, ++n, await store.Content.WriteAsync(new MemoryStream(data, (int)off, size, false), Ct), [], DateTimeOffset.UtcNow, Ct);
            var parts = await store.Uploads.AllPartsAsync(u.Id, Ct);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var joined = await store.Uploads.JoinAsync(parts, Ct);
            output.WriteLine($"{partSize >> 20} MiB parts: {parts.Count} parts, {joined.Seams} seams, {joined.BytesRead} bytes read back " +
                $"({100.0 * joined.BytesRead / data.Length:0.0}%), {joined.SeamChunks} chunks cut anew, {sw.Elapsed.TotalMilliseconds:0} ms");
            Assert.Equal(whole.Chunks, joined.Chunks);
            var entry = new FileEntry
            {
                Size = parts.Sum(p => p.Size), ETag = MultipartUploads.MultipartETag(parts), ContentHash = ContentAddress.Of(joined.Chunks),
                CommitId = "", ModifiedUnixMs = 0, Chunks = joined.Chunks,
            };
            await store.CommitAsync(bucket, (id, ms) => [new Mutation("k", entry with { CommitId = id, ModifiedUnixMs = ms })], "complete", Ct);
            var got = await store.GetFileAsync((await store.OpenAsync(bucket, Ct)).Commit, "k", Ct);
            Assert.Equal(whole.ContentHash, got!.ContentHash);
            using var ms = new MemoryStream();
            await ContentReader.CopyToAsync(store.Chunks, got, 0, got.Size, ms, Ct);
            Assert.Equal(data, ms.ToArray());
        }
    }

    [Fact]
    public async Task CopyingOneWholePartOfAJoinedObjectReadsOnlyItsEdgeChunks()
    {
        var chunks = new MemoryChunks();
        var w = new ContentWriter(chunks);
        var data = RandomBytes(20 * MiB, 16);
        var sizes = Split(data.Length, 5 * MiB).ToList();
        var joined = await PartSeams.JoinAsync(w, await PartsAsync(w, data, sizes), Ct);
        var md5s = sizes.Select((n, i) => System.Security.Cryptography.MD5.HashData(data.AsSpan(i * 5 * MiB, n))).ToList();
        var source = new FileEntry
        {
            Size = data.Length, ETag = "\"x-4\"", ContentHash = ContentAddress.Of(joined.Chunks), CommitId = "c", ModifiedUnixMs = 0, Chunks = joined.Chunks,
            Parts = sizes.Select((n, i) => new PartRef(n, null, Convert.ToHexStringLower(md5s[i]))).ToList(),
        };
        // The part's bounds are no longer chunk bounds: it cannot be taken without reading, but its MD5 is on record.
        Assert.Null(ContentSlicer.TryWholePart(source, 5 * MiB, 5 * MiB));
        Assert.Equal(md5s[1], ContentSlicer.KnownMd5(source, 5 * MiB, 5 * MiB));
        chunks.Opened = 0;
        var part = await ContentSlicer.SliceAsync(w, source, 5 * MiB, 5 * MiB, null, Ct, ContentSlicer.KnownMd5(source, 5 * MiB, 5 * MiB));
        Assert.Equal(md5s[1], part.Md5);
        Assert.Equal(data.AsSpan(5 * MiB, 5 * MiB).ToArray(), await ReadAsync(chunks, part.Chunks));
        Assert.True(chunks.Opened <= 2L * FastCdc.Default.MaxSize, $"read {chunks.Opened} bytes");
        // Without the MD5 on record the whole range is read (for it).
        chunks.Opened = 0;
        var read = await ContentSlicer.SliceAsync(w, source, 5 * MiB, 5 * MiB, null, Ct);
        Assert.Equal(md5s[1], read.Md5);
        Assert.True(chunks.Opened >= 5 * MiB);
    }
}

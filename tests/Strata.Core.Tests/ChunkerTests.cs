using Strata.Core;
using Strata.Core.Chunking;
using Strata.Core.Storage;

namespace Strata.Core.Tests;

public class ChunkerTests
{
    private sealed class MemoryChunks : IChunkStore
    {
        public readonly Dictionary<Hash, byte[]> Data = [];
        public Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct) =>
            Task.FromResult<ChunkStat?>(Data.TryGetValue(id, out var d) ? new ChunkStat(id, d.Length, DateTimeOffset.UtcNow) : null);
        public Task<bool> TouchAsync(Hash id, CancellationToken ct) => Task.FromResult(Data.ContainsKey(id));
        public async IAsyncEnumerable<ChunkStat> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await Task.CompletedTask;
            foreach (var (id, d) in Data.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal)) yield return new ChunkStat(id, d.Length, DateTimeOffset.UtcNow);
        }
        public Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct)
        {
            foreach (var id in ids) Data.Remove(id);
            return Task.CompletedTask;
        }
        public Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct) { Data[id] = data.ToArray(); return Task.CompletedTask; }
        public Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct) => Task.FromResult<Stream>(new MemoryStream(Data[id], (int)offset, Data[id].Length - (int)offset));
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void CutsRespectBoundsAndAverage()
    {
        var cdc = FastCdc.Default;
        var data = RandomBytes(64 << 20, 1);
        var sizes = new List<int>();
        for (var pos = 0; pos < data.Length;)
        {
            var n = cdc.Cut(data.AsSpan(pos, Math.Min(cdc.MaxSize, data.Length - pos)));
            sizes.Add(n);
            pos += n;
        }
        Assert.All(sizes.SkipLast(1), s => Assert.InRange(s, cdc.MinSize, cdc.MaxSize));
        var avg = sizes.Average();
        Assert.InRange(avg, cdc.AvgSize / 2.0, cdc.AvgSize * 2.0);
    }

    [Fact]
    public async Task InsertionShiftsOnlyNearbyChunks()
    {
        var store = new MemoryChunks();
        var w = new ContentWriter(store);
        var a = RandomBytes(24 << 20, 2);
        var b = a.Take(10 << 20).Concat(RandomBytes(100, 3)).Concat(a.Skip(10 << 20)).ToArray();
        var ca = await w.WriteAsync(new MemoryStream(a), CancellationToken.None);
        var cb = await w.WriteAsync(new MemoryStream(b), CancellationToken.None);
        var shared = ca.Chunks.Select(c => c.Id).Intersect(cb.Chunks.Select(c => c.Id)).Count();
        Assert.True(shared >= ca.Chunks.Count - 3, $"only {shared} of {ca.Chunks.Count} chunks shared");
    }

    [Fact]
    public async Task ContentRoundTripsWithDigests()
    {
        var store = new MemoryChunks();
        var data = RandomBytes(9_000_001, 4);
        // A stream that returns few bytes per read, as a network body does.
        var info = await new ContentWriter(store).WriteAsync(new TrickleStream(data, 777), CancellationToken.None);
        Assert.Equal(data.Length, info.Size);
        Assert.Equal(System.Security.Cryptography.MD5.HashData(data), info.Md5);
        Assert.Equal(ContentAddress.Of(info.Chunks), info.ContentHash);
        Assert.Equal(info.ContentHash, (await new ContentWriter(store).WriteAsync(new MemoryStream(data), CancellationToken.None)).ContentHash);
        var entry = new FileEntry { Size = info.Size, ETag = "", ContentHash = info.ContentHash, CommitId = "", ModifiedUnixMs = 0, Chunks = info.Chunks };
        var outp = new MemoryStream();
        await ContentReader.CopyToAsync(store, entry, 1_000_000, 5_000_000, outp, CancellationToken.None);
        Assert.Equal(data.AsSpan(1_000_000, 5_000_000).ToArray(), outp.ToArray());
    }

    [Fact]
    public async Task EmptyBodyHasNoChunks()
    {
        var info = await new ContentWriter(new MemoryChunks()).WriteAsync(new MemoryStream(), CancellationToken.None);
        Assert.Equal(0, info.Size);
        Assert.Empty(info.Chunks);
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", Convert.ToHexStringLower(info.Md5));
    }

    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(step, buffer.Length)], ct);
    }

    /// <summary>Chunks by repeated <see cref="FastCdc.Cut"/> over the whole buffer: the reference.</summary>
    internal static List<int> CutAll(FastCdc cdc, byte[] data)
    {
        var cuts = new List<int>();
        for (var at = 0; at < data.Length;)
        {
            var n = cdc.Cut(data.AsSpan(at));
            cuts.Add(n);
            at += n;
        }
        return cuts;
    }

    [Theory]
    [InlineData(1, 1 << 20, 3 << 20, 0, 0, 0)]
    [InlineData(2, 1, 5000, 0, 0, 0)]
    [InlineData(3, 4 << 20, 4 << 20, 0, 0, 0)]
    [InlineData(4, 1, 256 << 10, 0, 0, 0)] // the reads of a multipart seam (PartSeams)
    [InlineData(5, 1, 3000, 4096, 4096, 4096)] // fixed-size chunks: every cut is at the maximum
    [InlineData(6, 1, 3000, 4096, 4096, 16384)]
    [InlineData(7, 100, 9000, 1024, 8192, 8192)]
    public void StreamingScanCutsWhereCutDoes(int seed, int minBlock, int maxBlock, int min, int avg, int max)
    {
        var cdc = min == 0 ? FastCdc.Default : new FastCdc(min, avg, max);
        var data = RandomBytes(min == 0 ? 24 << 20 : 1 << 20, seed);
        var rnd = new Random(seed);
        var cuts = new List<int>();
        var state = default(CdcState);
        var chunk = 0;
        for (var at = 0; at < data.Length;)
        {
            var block = data.AsSpan(at, Math.Min(data.Length - at, rnd.Next(minBlock, maxBlock + 1)));
            at += block.Length;
            for (var pos = 0; pos < block.Length;)
            {
                var cut = cdc.Scan(block[pos..], ref state);
                var take = cut < 0 ? block.Length - pos : cut;
                chunk += take;
                pos += take;
                if (cut >= 0)
                {
                    cuts.Add(chunk);
                    chunk = 0;
                }
            }
        }
        if (chunk > 0) cuts.Add(chunk);
        Assert.Equal(CutAll(cdc, data), cuts);
    }

    /// <summary>A body that arrives in reads of random small sizes, as a socket delivers it.</summary>
    private sealed class RandomReadsStream(byte[] data, int seed) : MemoryStream(data)
    {
        private readonly Random _rnd = new(seed);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, _rnd.Next(1, 70_000))], ct);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(300 << 10)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 1)]
    [InlineData((9 << 20) + 12345)]
    public async Task WriterStoresTheChunksCutWouldAndTheMd5OfTheBody(int size)
    {
        var store = new MemoryChunks();
        var data = RandomBytes(size, size);
        var c = await new ContentWriter(store).WriteAsync(new RandomReadsStream(data, size), CancellationToken.None);
        Assert.Equal(CutAll(FastCdc.Default, data), c.Chunks.Select(x => x.Length).ToList());
        Assert.Equal(System.Security.Cryptography.MD5.HashData(data), c.Md5);
        Assert.Equal(size, c.Size);
        var back = new MemoryStream();
        foreach (var chunk in c.Chunks)
        {
            Assert.Equal(chunk.Id, Hash.Of(store.Data[chunk.Id]));
            back.Write(store.Data[chunk.Id]);
        }
        Assert.Equal(data, back.ToArray());
    }
}

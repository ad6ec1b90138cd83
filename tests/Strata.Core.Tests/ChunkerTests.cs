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
}

using Strata.Core;
using Strata.Core.Chunking;
using Strata.Core.Storage;

namespace Strata.Storage.Tests;

/// <summary>The assertions every IChunkStore must pass; one subclass per backend supplies the store.</summary>
public abstract class ChunkStoreContract
{
    protected static readonly CancellationToken Ct = CancellationToken.None;
    protected abstract IChunkStore Store { get; }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<byte[]> ReadAllAsync(Stream s)
    {
        await using (s)
        {
            var ms = new MemoryStream();
            await s.CopyToAsync(ms, Ct);
            return ms.ToArray();
        }
    }

    [Fact]
    public async Task PutThenReadBackWholeAndFromAnOffset()
    {
        var data = RandomBytes(300_000, Environment.TickCount);
        var id = Hash.Of(data);
        Assert.False(await Store.ExistsAsync(id, Ct));
        await Store.PutAsync(id, data, Ct);
        Assert.True(await Store.ExistsAsync(id, Ct));
        Assert.Equal(data, await ReadAllAsync(await Store.OpenAsync(id, 0, Ct)));
        Assert.Equal(data[123_457..], await ReadAllAsync(await Store.OpenAsync(id, 123_457, Ct)));
        Assert.Equal(data[^1..], await ReadAllAsync(await Store.OpenAsync(id, data.Length - 1, Ct)));
    }

    [Fact]
    public async Task MissingChunkIsCorrupt()
    {
        var id = Hash.Of(RandomBytes(64, Environment.TickCount));
        Assert.False(await Store.ExistsAsync(id, Ct));
        var e = await Assert.ThrowsAsync<StrataException>(() => Store.OpenAsync(id, 0, Ct));
        Assert.Equal(StoreError.Corrupt, e.Error);
    }

    [Fact]
    public async Task WritingTheSameChunkAgainChangesNothing()
    {
        var data = RandomBytes(4 << 20, Environment.TickCount);
        var id = Hash.Of(data);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Store.PutAsync(id, data, Ct)));
        await Store.PutAsync(id, data, Ct);
        Assert.Equal(data, await ReadAllAsync(await Store.OpenAsync(id, 0, Ct)));
    }

    /// <summary>How far apart two touches must be for the store's times to tell them apart.</summary>
    protected virtual TimeSpan TimeResolution => TimeSpan.FromMilliseconds(20);

    /// <summary>How far the store's clock may be from ours, plus the truncation of its times.</summary>
    protected virtual TimeSpan ClockSlack => TimeSpan.FromSeconds(1);

    private async Task<(Hash Id, byte[] Data)> PutRandomAsync(int length, int seed)
    {
        var data = RandomBytes(length, seed);
        var id = Hash.Of(data);
        await Store.PutAsync(id, data, Ct);
        return (id, data);
    }

    [Fact]
    public async Task StatGivesTheLengthAndTheTouchTime()
    {
        var before = DateTimeOffset.UtcNow;
        var (id, data) = await PutRandomAsync(12_345, Environment.TickCount);
        var after = DateTimeOffset.UtcNow;
        var stat = await Store.StatAsync(id, Ct);
        Assert.NotNull(stat);
        Assert.Equal((id, (long)data.Length), (stat.Value.Id, stat.Value.Length));
        Assert.Equal(TimeSpan.Zero, stat.Value.Touched.Offset);
        Assert.InRange(stat.Value.Touched, before - ClockSlack, after + ClockSlack);
        Assert.Null(await Store.StatAsync(Hash.Of(RandomBytes(8, Environment.TickCount + 1)), Ct));
        var empty = Hash.Of([]);
        await Store.PutAsync(empty, Array.Empty<byte>(), Ct);
        Assert.Equal(0, (await Store.StatAsync(empty, Ct))!.Value.Length);
    }

    [Fact]
    public async Task TouchMovesTheTouchTimeForwardAndKeepsTheBytes()
    {
        var (id, data) = await PutRandomAsync(70_000, Environment.TickCount);
        var first = (await Store.StatAsync(id, Ct))!.Value;
        await Task.Delay(TimeResolution);
        Assert.True(await Store.TouchAsync(id, Ct));
        var second = (await Store.StatAsync(id, Ct))!.Value;
        Assert.True(second.Touched > first.Touched, $"touched {second.Touched:O} after {first.Touched:O}");
        Assert.Equal(data.Length, second.Length);
        Assert.Equal(data, await ReadAllAsync(await Store.OpenAsync(id, 0, Ct)));
        Assert.InRange(second.Touched, DateTimeOffset.UtcNow - TimeResolution - ClockSlack, DateTimeOffset.UtcNow + ClockSlack);
    }

    [Fact]
    public async Task TouchingAMissingChunkIsFalseAndCreatesNothing()
    {
        var id = Hash.Of(RandomBytes(64, Environment.TickCount));
        Assert.False(await Store.TouchAsync(id, Ct));
        Assert.Null(await Store.StatAsync(id, Ct));
    }

    [Fact]
    public async Task ListGivesEveryChunkInAscendingHashOrder()
    {
        var seed = Environment.TickCount;
        var put = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => PutRandomAsync(100 + i * 37, seed + i)));
        var listed = new List<ChunkStat>();
        await foreach (var s in Store.ListAsync(Ct)) listed.Add(s);
        // Lowercase hex compares as the hashes' bytes do.
        Assert.Equal(put.OrderBy(p => p.Id.ToString(), StringComparer.Ordinal).Select(p => (p.Id, (long)p.Data.Length)),
            listed.Select(s => (s.Id, s.Length)));
        var now = DateTimeOffset.UtcNow;
        Assert.All(listed, s => Assert.InRange(s.Touched, now - TimeSpan.FromMinutes(5), now + ClockSlack));
    }

    [Fact]
    public async Task ListingAnEmptyStoreGivesNothing()
    {
        await foreach (var s in Store.ListAsync(Ct)) Assert.Fail($"listed {s.Id}");
    }

    [Fact]
    public async Task DeleteRemovesThePresentChunksAndIgnoresMissingOnes()
    {
        var seed = Environment.TickCount;
        var (a, b, c) = (await PutRandomAsync(1000, seed), await PutRandomAsync(2000, seed + 1), await PutRandomAsync(3000, seed + 2));
        var missing = Hash.Of(RandomBytes(10, seed + 3));
        await Store.DeleteAsync([a.Id, missing, c.Id], Ct);
        Assert.Null(await Store.StatAsync(a.Id, Ct));
        Assert.Null(await Store.StatAsync(c.Id, Ct));
        Assert.False(await Store.ExistsAsync(c.Id, Ct));
        Assert.Equal(b.Data.Length, (await Store.StatAsync(b.Id, Ct))!.Value.Length);
        var listed = new List<Hash>();
        await foreach (var s in Store.ListAsync(Ct)) listed.Add(s.Id);
        Assert.Equal([b.Id], listed);
        await Store.DeleteAsync([a.Id, c.Id], Ct);
        await Store.DeleteAsync([], Ct);
        Assert.False(await Store.TouchAsync(a.Id, Ct));
        // A deleted chunk can be written again.
        await Store.PutAsync(a.Id, a.Data, Ct);
        Assert.Equal(a.Data, await ReadAllAsync(await Store.OpenAsync(a.Id, 0, Ct)));
    }

    [Fact]
    public async Task ContentWriterAndReaderRoundTripARangeAcrossChunks()
    {
        var data = RandomBytes(12 << 20, Environment.TickCount);
        var info = await new ContentWriter(Store).WriteAsync(new MemoryStream(data), Ct);
        Assert.True(info.Chunks.Count > 3);
        Assert.Equal(data.Length, info.Size);
        Assert.Equal(System.Security.Cryptography.MD5.HashData(data), info.Md5);
        foreach (var c in info.Chunks) Assert.True(await Store.ExistsAsync(c.Id, Ct));
        var file = new FileEntry { Size = info.Size, ETag = "", ContentHash = info.ContentHash, CommitId = "", ModifiedUnixMs = 0, Chunks = info.Chunks };
        var (offset, length) = (info.Chunks[0].Length - 10L, info.Chunks[1].Length + 20L + info.Chunks[2].Length);
        var output = new MemoryStream();
        await ContentReader.CopyToAsync(Store, file, offset, length, output, Ct);
        Assert.Equal(data.AsSpan((int)offset, (int)length).ToArray(), output.ToArray());
    }
}

public sealed class FileChunkStoreTests : ChunkStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-chunks-").FullName;
    private readonly Strata.Storage.FileSystem.FileChunkStore _store;
    public FileChunkStoreTests() => _store = new(_dir);
    protected override IChunkStore Store => _store;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TemporaryFilesACrashLeftAreRemovedAtStart()
    {
        var leftover = Path.Combine(_dir, "tmp", "half-written");
        File.WriteAllText(leftover, "x");
        _ = new Strata.Storage.FileSystem.FileChunkStore(_dir);
        Assert.False(File.Exists(leftover));
    }
}

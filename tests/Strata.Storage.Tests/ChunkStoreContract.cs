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

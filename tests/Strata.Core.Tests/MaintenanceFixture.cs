using Strata.Core.Maintenance;
using Strata.Core.Tree;
using Strata.Storage.FileSystem;
using Strata.Storage.Sqlite;

namespace Strata.Core.Tests;

/// <summary>An embedded store (SQLite + chunk files) in a temp dir, with helpers to write, read back and measure it.</summary>
internal sealed class MaintenanceFixture : IDisposable
{
    public static readonly CancellationToken Ct = CancellationToken.None;
    public string Dir { get; } = Directory.CreateTempSubdirectory("strata-gc-").FullName;
    public string DbPath => Path.Combine(Dir, "meta.db");
    public string ChunkDir => Path.Combine(Dir, "chunks");
    public SqliteMetadataStore Meta { get; }
    public FileChunkStore Chunks { get; }
    public VersionedStore Store { get; }

    public MaintenanceFixture(TimeSpan freshenAge)
    {
        Meta = new SqliteMetadataStore(DbPath);
        Chunks = new FileChunkStore(ChunkDir);
        Store = new VersionedStore(Meta, Chunks) { FreshenAge = freshenAge };
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public GarbageCollector Gc(TimeSpan grace, Func<string, CancellationToken, Task>? checkpoint = null) =>
        new(Meta, Chunks, Path.Combine(Dir, "tmp-gc")) { Grace = grace, Checkpoint = checkpoint };

    public Fsck Fsck(bool quick = false, bool repair = false) => new(Meta, Chunks, Path.Combine(Dir, "tmp-gc")) { Quick = quick, Repair = repair };

    public static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    public long ChunkBytes() => new DirectoryInfo(ChunkDir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    public async Task<CommitInfo> PutAsync(BucketRef b, string key, byte[] data, DateTimeOffset? since = null)
    {
        var started = since ?? DateTimeOffset.UtcNow;
        var c = await Store.Content.WriteAsync(new MemoryStream(data), Ct);
        return (await Store.CommitAsync(b, ctx => Task.FromResult<IEnumerable<Mutation>>([new Mutation(key, Entry(c, ctx.Id, ctx.TimeUnixMs))]),
            $"put {key}", c.ReliesOnSince(started), Ct))!;
    }

    public static FileEntry Entry(Chunking.ContentInfo c, string commitId, long ms) => new()
    {
        Size = c.Size, ETag = Convert.ToHexStringLower(c.Md5), ContentHash = c.ContentHash, CommitId = commitId, ModifiedUnixMs = ms, Chunks = c.Chunks,
    };

    public async Task<byte[]?> ReadAsync(CommitInfo commit, string key)
    {
        var f = await Store.GetFileAsync(commit, key, Ct);
        if (f is null) return null;
        var ms = new MemoryStream();
        await ContentReader.CopyToAsync(Store.Chunks, f, 0, f.Size, ms, Ct);
        return ms.ToArray();
    }
}

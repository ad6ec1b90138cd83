using Strata.Core;
using Strata.Core.Tree;
using Strata.Storage.FileSystem;
using Strata.Storage.Sqlite;

namespace Strata.Core.Tests;

public sealed class StoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-store-").FullName;
    private static readonly CancellationToken Ct = CancellationToken.None;

    private VersionedStore NewStore() =>
        new(new SqliteMetadataStore(Path.Combine(_dir, "meta.db")), new FileChunkStore(Path.Combine(_dir, "chunks")));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<CommitInfo?> PutAsync(VersionedStore s, BucketRef b, string key, string text)
    {
        var c = await s.Content.WriteAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), Ct);
        return await s.CommitAsync(b, (id, ms) => [new Mutation(key, new FileEntry
        {
            Size = c.Size, ETag = text, ContentHash = c.ContentHash, CommitId = id, ModifiedUnixMs = ms, Chunks = c.Chunks,
        })], "put", Ct);
    }

    [Fact]
    public async Task AncestryResolvesEveryGeneration()
    {
        var s = NewStore();
        var b = new BucketRef("images", "master", null);
        Assert.True(await s.CreateBranchAsync("images", "master", Ct));
        var ids = new List<string>();
        for (var i = 0; i < 300; i++) ids.Add((await PutAsync(s, b, "f", $"v{i}"))!.Id);
        var snap = await s.OpenAsync(b, Ct);
        Assert.Equal(ids[^1], snap.Commit!.Id);
        foreach (var back in new[] { 0, 1, 2, 3, 7, 64, 100, 255, 299 })
        {
            Assert.Equal(ids[^(back + 1)], (await s.ResolveVersionAsync(snap, $"HEAD~{back}", Ct)).Id);
            Assert.Equal(ids[^(back + 1)], (await s.ResolveVersionAsync(snap, $"master~{back}", Ct)).Id);
        }
        Assert.Equal(ids[^2], (await s.ResolveVersionAsync(snap, "master^", Ct)).Id);
        Assert.Equal(ids[^3], (await s.ResolveVersionAsync(snap, "HEAD^^", Ct)).Id);
        Assert.Equal(ids[0], (await s.ResolveVersionAsync(snap, "master.1", Ct)).Id);
        Assert.Equal(ids[41], (await s.ResolveVersionAsync(snap, "master.42", Ct)).Id);
        Assert.Equal(ids[9], (await s.ResolveVersionAsync(snap, ids[10] + "^", Ct)).Id);
        var f = await s.GetFileAsync(await s.ResolveVersionAsync(snap, "HEAD~5", Ct), "f", Ct);
        Assert.Equal("v294", f!.ETag);
        await Assert.ThrowsAsync<StrataException>(() => s.ResolveVersionAsync(snap, "HEAD~300", Ct));
        await Assert.ThrowsAsync<StrataException>(() => s.ResolveVersionAsync(snap, "master.301", Ct));
        await Assert.ThrowsAsync<StrataException>(() => s.ResolveVersionAsync(snap, CommitId.New(), Ct));
    }

    [Fact]
    public async Task ForeignCommitIsNotAVersion()
    {
        var s = NewStore();
        await s.CreateBranchAsync("a", "master", Ct);
        await s.CreateBranchAsync("b", "master", Ct);
        await s.CreateBranchAsync("a", "dev", Ct);
        var ca = await PutAsync(s, new BucketRef("a", "master", null), "k", "1");
        await PutAsync(s, new BucketRef("b", "master", null), "k", "2");
        await PutAsync(s, new BucketRef("a", "dev", null), "k", "3");
        var snapB = await s.OpenAsync(new BucketRef("b", "master", null), Ct);
        var snapDev = await s.OpenAsync(new BucketRef("a", "dev", null), Ct);
        var e1 = await Assert.ThrowsAsync<StrataException>(() => s.ResolveVersionAsync(snapB, ca!.Id, Ct));
        var e2 = await Assert.ThrowsAsync<StrataException>(() => s.ResolveVersionAsync(snapDev, ca!.Id, Ct));
        Assert.Equal(StoreError.NoSuchVersion, e1.Error);
        Assert.Equal(StoreError.NoSuchVersion, e2.Error);
    }

    [Fact]
    public async Task ConcurrentWritersFromTwoProcessesLoseNothing()
    {
        // Two store instances on one database stand in for two gateway processes:
        // only the head compare-and-swap keeps them from overwriting each other.
        var s1 = NewStore();
        var s2 = NewStore();
        var b = new BucketRef("r", "master", null);
        await s1.CreateBranchAsync("r", "master", Ct);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => PutAsync(i % 2 == 0 ? s1 : s2, b, $"k{i}", $"v{i}"))));
        var snap = await s1.OpenAsync(b, Ct);
        Assert.Equal(40, snap.Commit!.Height);
        for (var i = 0; i < 40; i++)
            Assert.Equal($"v{i}", (await s1.GetFileAsync(snap.Commit, $"k{i}", Ct))!.ETag);
    }

    [Fact]
    public async Task DeletingLastBranchDeletesRepo()
    {
        var s = NewStore();
        await s.CreateBranchAsync("r", "master", Ct);
        await s.CreateBranchAsync("r", "dev", Ct);
        Assert.False(await s.CreateBranchAsync("r", "dev", Ct));
        await s.DeleteBranchAsync("r", "master", Ct);
        Assert.True(await s.Meta.RepoExistsAsync("r", Ct));
        await s.DeleteBranchAsync("r", "dev", Ct);
        Assert.False(await s.Meta.RepoExistsAsync("r", Ct));
        var e = await Assert.ThrowsAsync<StrataException>(() => s.DeleteBranchAsync("r", "dev", Ct));
        Assert.Equal(StoreError.NoSuchBranch, e.Error);
    }

    [Fact]
    public async Task DataSurvivesReopen()
    {
        var b = new BucketRef("r", "master", null);
        var s = NewStore();
        await s.CreateBranchAsync("r", "master", Ct);
        await PutAsync(s, b, "a/b.txt", "hello");
        var s2 = NewStore();
        var snap = await s2.OpenAsync(b, Ct);
        var f = await s2.GetFileAsync(snap.Commit, "a/b.txt", Ct);
        var outp = new MemoryStream();
        await ContentReader.CopyToAsync(s2.Chunks, f!, 0, f!.Size, outp, Ct);
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(outp.ToArray()));
    }
}

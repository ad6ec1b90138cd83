using Strata.Core.Tree;
using Strata.Storage.FileSystem;
using Strata.Storage.Sqlite;

namespace Strata.Core.Tests;

/// <summary>CommitGraph.Ancestors (many ancestor lookups of one commit, each walk starting near its target) agrees with walks from the commit.</summary>
public sealed class AncestorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-ancestors-").FullName;
    private static readonly CancellationToken Ct = CancellationToken.None;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task AgreesWithWalksFromTheCommitInAnyOrder()
    {
        var s = new VersionedStore(new SqliteMetadataStore(Path.Combine(_dir, "meta.db")), new FileChunkStore(Path.Combine(_dir, "chunks")));
        var b = new BucketRef("r", "master", null);
        await s.CreateBranchAsync("r", "master", Ct);
        // Concurrent writers: stored as chains, so skip pointers inside chains are exercised too.
        await Task.WhenAll(Enumerable.Range(0, 700).Select(i => Task.Run(() => s.CommitAsync(b, (id, ms) =>
            [new Mutation($"k{i % 7}", new FileEntry { Size = 1, ETag = "e", ContentHash = Hash.Of([1]), CommitId = id, ModifiedUnixMs = ms, Chunks = [] })], "c", Ct))));
        var head = (await s.OpenAsync(b, Ct)).Commit!;
        Assert.Equal(700, head.Height);
        var rnd = new Random(5);
        // Orders a version listing makes (runs of descending heights, one run per key) and random ones.
        var orders = new List<long[]>
        {
            Enumerable.Range(0, 7).SelectMany(k => Enumerable.Range(0, 100).Select(j => (long)(700 - k - 7 * j))).ToArray(),
            Enumerable.Range(1, 700).Select(h => (long)h).ToArray(),
            Enumerable.Range(0, 2000).Select(_ => (long)rnd.Next(-2, 703)).ToArray(),
        };
        foreach (var order in orders)
        {
            var a = new CommitGraph.Ancestors(s.Commits, head);
            foreach (var h in order)
                Assert.Equal((await s.Commits.AncestorAtAsync(head, h, Ct))?.Id, (await a.AtAsync(h, Ct))?.Id);
        }
    }
}

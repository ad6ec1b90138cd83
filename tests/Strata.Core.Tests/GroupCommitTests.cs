using Strata.Core.Storage;
using Strata.Core.Tree;
using Strata.Storage.FileSystem;
using Strata.Storage.Sqlite;

namespace Strata.Core.Tests;

/// <summary>
/// Concurrent writers to one branch are folded into chains of commits stored together: each
/// writer still gets its own commit, the history is one line, and skip pointers inside a chain
/// resolve ancestry like any other.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-group-").FullName;
    private static readonly CancellationToken Ct = CancellationToken.None;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Counts the transactions that move a head, to see that writers were grouped.</summary>
    private sealed class CountingStore(SqliteMetadataStore inner) : DelegatingMetadataStore(inner)
    {
        public int Chains;
        public int MaxChain;
        public override async Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
            IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
        {
            // The first transaction is slow, as a busy disk makes it: the writers that arrive meanwhile must
            // be folded into the next one. (Without it, a starved thread pool can run writers and the
            // drain one after another so that none ever waits for another, and nothing shows grouping.)
            if (Interlocked.Increment(ref Chains) == 1) await Task.Delay(300, ct);
            lock (this) MaxChain = Math.Max(MaxChain, chain.Count);
            return await inner.TryCommitChainAsync(branch, expectedHead, chain, nodes, protectedSinceUnixMs, ct);
        }
    }

    private static FileEntry Entry(string id, long ms, string etag) =>
        new() { Size = 0, ETag = etag, ContentHash = Hash.Of([]), CommitId = id, ModifiedUnixMs = ms, Chunks = [] };

    [Fact]
    public async Task ConcurrentWritersEachGetACommitInOneLineOfHistory()
    {
        var meta = new CountingStore(new SqliteMetadataStore(Path.Combine(_dir, "meta.db")));
        var s = new VersionedStore(meta, new FileChunkStore(Path.Combine(_dir, "chunks")));
        var b = new BucketRef("r", "master", null);
        await s.CreateBranchAsync("r", "master", Ct);
        const int n = 300;
        var commits = await Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(() =>
            s.CommitAsync(b, (id, ms) => [new Mutation($"k{i:D3}", Entry(id, ms, $"v{i}"))], $"put {i}", Ct))));
        Assert.All(commits, Assert.NotNull);
        Assert.Equal(n, commits.Select(c => c!.Id).Distinct().Count());
        Assert.True(meta.MaxChain > 1, "no two writers were ever grouped");
        Assert.True(meta.Chains < n, $"{meta.Chains} transactions for {n} writes");

        // One line of history from the head down to the first commit, heights n..1.
        var fresh = new VersionedStore(meta, new FileChunkStore(Path.Combine(_dir, "chunks")));
        var snap = await fresh.OpenAsync(b, Ct);
        var line = new List<CommitInfo>();
        for (var c = snap.Commit; c is not null; c = c.Parent is null ? null : await fresh.Commits.GetAsync(c.Parent, Ct))
            line.Add(c);
        Assert.Equal(Enumerable.Range(1, n).Reverse().Select(h => (long)h), line.Select(c => c.Height));
        Assert.Equal(commits.Select(c => c!.Id).Order(), line.Select(c => c.Id).Order());
        // Skip pointers made inside chains find every ancestor (checked against the parent walk).
        foreach (var back in new[] { 1, 2, 3, 5, 17, 64, 100, 128, 200, 299 })
            Assert.Equal(line[back].Id, (await fresh.ResolveVersionAsync(snap, $"HEAD~{back}", Ct)).Id);
        // Each commit holds exactly the writes ordered before it, and its own key's version row.
        foreach (var c in line.Where((_, i) => i % 37 == 0))
        {
            var cursorCount = 0;
            await foreach (var _ in TreeDiff.DiffAsync(fresh.Nodes, null, c.Root, Ct)) cursorCount++;
            Assert.Equal(c.Height, cursorCount);
            var mine = commits.Single(x => x!.Id == c.Id)!;
            Assert.NotNull(await meta.GetVersionAsync("r", $"k{int.Parse(mine.Message[4..]):D3}", c.Id, Ct));
        }
    }

    [Fact]
    public async Task AFailingWriterDoesNotFailTheOthersInItsGroup()
    {
        var s = new VersionedStore(new SqliteMetadataStore(Path.Combine(_dir, "meta.db")), new FileChunkStore(Path.Combine(_dir, "chunks")));
        var b = new BucketRef("r", "master", null);
        await s.CreateBranchAsync("r", "master", Ct);
        var tasks = Enumerable.Range(0, 60).Select(i => Task.Run(() => s.CommitAsync(b, ctx =>
            i % 3 == 0
                ? throw new StrataException(StoreError.NoSuchKey, $"writer {i} refuses")
                : Task.FromResult<IEnumerable<Mutation>>([new Mutation($"k{i}", Entry(ctx.Id, ctx.TimeUnixMs, $"v{i}"))]), "put", Ct))).ToList();
        for (var i = 0; i < tasks.Count; i++)
        {
            if (i % 3 == 0) Assert.Equal(StoreError.NoSuchKey, (await Assert.ThrowsAsync<StrataException>(() => tasks[i])).Error);
            else Assert.NotNull(await tasks[i]);
        }
        var head = (await s.OpenAsync(b, Ct)).Commit!;
        Assert.Equal(40, head.Height);
        for (var i = 0; i < 60; i++)
            Assert.Equal(i % 3 == 0 ? null : $"v{i}", (await s.GetFileAsync(head, $"k{i}", Ct))?.ETag);
    }

    /// <summary>Slow transactions, one of which loses its race to a commit made by another store on the same database.</summary>
    private sealed class RacingStore(SqliteMetadataStore inner) : DelegatingMetadataStore(inner)
    {
        public volatile bool Storing;
        public int Calls;
        public Func<Task>? Rival;
        public override async Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
            IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
        {
            Storing = true;
            try
            {
                await Task.Delay(20, ct);
                // The third transaction finds that another node moved the head first.
                if (Interlocked.Increment(ref Calls) == 3 && Rival is { } rival) await rival();
                return await inner.TryCommitChainAsync(branch, expectedHead, chain, nodes, protectedSinceUnixMs, ct);
            }
            finally
            {
                Storing = false;
            }
        }
    }

    [Fact]
    public async Task WritersArrivingDuringAStoreAreBuiltOnItAndRebuiltWhenItLosesItsRace()
    {
        var inner = new SqliteMetadataStore(Path.Combine(_dir, "meta.db"));
        var meta = new RacingStore(inner);
        var chunks = new FileChunkStore(Path.Combine(_dir, "chunks"));
        var s = new VersionedStore(meta, chunks);
        var b = new BucketRef("r", "master", null);
        await s.CreateBranchAsync("r", "master", Ct);
        var otherNode = new VersionedStore(inner, chunks);
        meta.Rival = () => otherNode.CommitAsync(b, (id, ms) => [new Mutation("rival", Entry(id, ms, "rival"))], "rival", Ct);
        var builtWhileStoring = 0;
        const int n = 200;
        var commits = await Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(async () =>
        {
            await Task.Delay(i / 4); // a steady stream of writers, not one burst
            return await s.CommitAsync(b, async ctx =>
            {
                if (meta.Storing) Interlocked.Increment(ref builtWhileStoring);
                // A precondition read through the chain: the key before this one is visible if its writer came first.
                await ctx.GetAsync($"k{i - 1:D3}");
                return [new Mutation($"k{i:D3}", Entry(ctx.Id, ctx.TimeUnixMs, $"v{i}"))];
            }, $"put {i}", Ct);
        })));
        Assert.All(commits, Assert.NotNull);
        Assert.True(builtWhileStoring > 0, "no writer was built while a chain was being stored");
        Assert.True(meta.Calls >= 3, "the race was never run");

        var fresh = new VersionedStore(inner, chunks);
        var snap = await fresh.OpenAsync(b, Ct);
        var line = new List<CommitInfo>();
        for (var c = snap.Commit; c is not null; c = c.Parent is null ? null : await fresh.Commits.GetAsync(c.Parent, Ct))
            line.Add(c);
        Assert.Equal(Enumerable.Range(1, n + 1).Reverse().Select(h => (long)h), line.Select(c => c.Height));
        Assert.Equal(commits.Select(c => c!.Id).Append(line.Single(c => c.Message == "rival").Id).Order(), line.Select(c => c.Id).Order());
        for (var i = 0; i < n; i++) Assert.Equal($"v{i}", (await fresh.GetFileAsync(snap.Commit, $"k{i:D3}", Ct))?.ETag);
        Assert.Equal("rival", (await fresh.GetFileAsync(snap.Commit, "rival", Ct))?.ETag);
        foreach (var back in new[] { 1, 2, 3, 17, 64, 128, 200 })
            Assert.Equal(line[back].Id, (await fresh.ResolveVersionAsync(snap, $"HEAD~{back}", Ct)).Id);
        // Every commit holds exactly the writes ordered before it.
        foreach (var c in line.Where((_, i) => i % 23 == 0))
        {
            var count = 0;
            await foreach (var _ in TreeDiff.DiffAsync(fresh.Nodes, null, c.Root, Ct)) count++;
            Assert.Equal(c.Height, count);
        }
    }
}

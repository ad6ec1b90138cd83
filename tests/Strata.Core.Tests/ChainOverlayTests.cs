using System.Text;
using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Core.Tests;

/// <summary>
/// Group commit stores the commits of a chain before its last as overlays on the chain's base tree
/// (<see cref="ChainTrees"/>). Every reader must see each of them as the whole tree it stands for:
/// lookups, listings, totals, diffs, GC, fsck, purge, and writers building on one.
/// </summary>
public sealed class ChainOverlayTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly MaintenanceFixture _f = new(TimeSpan.FromHours(1));
    private readonly BucketRef _master = new("r", "master", null);

    public void Dispose() => _f.Dispose();

    /// <summary>Holds the first transaction until released, so the writers that arrive meanwhile are folded into the next chain.</summary>
    private sealed class GatedStore(IMetadataStore inner) : DelegatingMetadataStore(inner)
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _chains;

        public override async Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
            IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _chains) == 1)
            {
                Entered.SetResult();
                await Gate.Task.WaitAsync(ct);
            }
            return await base.TryCommitChainAsync(branch, expectedHead, chain, nodes, protectedSinceUnixMs, ct);
        }
    }

    /// <summary>
    /// Writes changes[0] alone (held in its transaction), then the others in order, and opens the gate once each of them
    /// has been built onto the held chain: the next chain then holds them all, in that order. No timing is relied on.
    /// </summary>
    private static async Task<CommitInfo[]> WriteGroupedAsync(VersionedStore s, GatedStore gated, BucketRef b,
        IReadOnlyList<(string Message, Func<CommitContext, Task<IEnumerable<Mutation>>> Changes)> changes)
    {
        var held = s.CommitAsync(b, changes[0].Changes, changes[0].Message, Ct);
        await gated.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var built = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        var rest = new List<Task<CommitInfo?>>();
        for (var i = 1; i < changes.Count; i++)
        {
            var (message, f) = changes[i];
            var index = i;
            rest.Add(s.CommitAsync(b, async ctx =>
            {
                var r = await f(ctx);
                built[index] = true;
                return r;
            }, message, Ct));
        }
        for (var waited = 0; built.Count < changes.Count - 1; waited += 5)
        {
            Assert.True(waited < 60_000, $"{built.Count} of {changes.Count - 1} writers were built while the first was held");
            await Task.Delay(5);
        }
        gated.Gate.SetResult();
        var all = new List<CommitInfo> { (await held)! };
        foreach (var w in rest) all.Add((await w)!);
        return [.. all];
    }

    private static async Task<Mutation> Content(VersionedStore s, CommitContext ctx, string key, byte[] data)
    {
        var c = await s.Content.WriteAsync(new MemoryStream(data), Ct, inline: true);
        return new Mutation(key, MaintenanceFixture.Entry(c, ctx.Id, ctx.TimeUnixMs)) { Inline = c.Inline };
    }

    // Writer i: mostly writes key k(i % 7) with its own bytes; every fifth deletes that key instead (a delete marker).
    private static string KeyOf(int i) => $"k{i % 7}";
    private static bool Deletes(int i) => i % 5 == 4;
    private static byte[] Body(int i) => i % 3 == 0 ? MaintenanceFixture.Random(40_000, i) : Encoding.UTF8.GetBytes($"body of writer {i}");

    private async Task<bool> IsOverlayAsync(VersionedStore s, CommitInfo c) =>
        c.Root is { } r && (await s.Nodes.LoadAsync(r, Ct)).IsOverlay;

    private async Task<List<CommitInfo>> LineAsync(VersionedStore s, string branch = "master")
    {
        var line = new List<CommitInfo>();
        for (var c = await s.Commits.GetAsync((await s.GetBranchAsync("r", branch, Ct)).Head!, Ct); c is not null;
             c = c.Parent is null ? null : await s.Commits.GetAsync(c.Parent, Ct))
            line.Add(c);
        line.Reverse();
        return line;
    }

    [Fact]
    public async Task EveryCommitOfAChainReadsAsTheWholeTreeItStandsFor()
    {
        var gated = new GatedStore(_f.Meta);
        var s = new VersionedStore(gated, _f.Chunks);
        await s.CreateBranchAsync("r", "master", Ct);
        const int n = 60;
        var written = await WriteGroupedAsync(s, gated, _master, [.. Enumerable.Range(0, n).Select(i => ($"{i}", (Func<CommitContext, Task<IEnumerable<Mutation>>>)(async ctx =>
            Deletes(i) ? [new Mutation(KeyOf(i), null, Marker: true)] : (IEnumerable<Mutation>)[await Content(s, ctx, KeyOf(i), Body(i))])))]);
        Assert.All(written, Assert.NotNull);

        // GC with no grace: what the overlays reach must survive it.
        await _f.Gc(TimeSpan.Zero).RunAsync(Ct);
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);

        var fresh = new VersionedStore(_f.Meta, _f.Chunks); // nothing cached from the writers
        var line = await LineAsync(fresh);
        Assert.Equal(n, line.Count);
        var overlays = 0;
        foreach (var c in line) overlays += await IsOverlayAsync(fresh, c) ? 1 : 0;
        Assert.True(overlays >= n / 2, $"only {overlays} of {n} commits are overlays");
        Assert.False(await IsOverlayAsync(fresh, line[^1]), "the head must be a whole tree");

        // Replay the writers in commit order: each commit must read as the state after it.
        var state = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var before = new SortedDictionary<string, int>(StringComparer.Ordinal);
        CommitInfo? parent = null;
        foreach (var c in line)
        {
            var i = int.Parse(c.Message);
            before = new SortedDictionary<string, int>(state, StringComparer.Ordinal);
            if (Deletes(i)) state.Remove(KeyOf(i)); else state[KeyOf(i)] = i;
            for (var k = 0; k < 7; k++)
            {
                var got = await fresh.GetFileAsync(c, $"k{k}", Ct);
                if (!state.TryGetValue($"k{k}", out var w)) { Assert.Null(got); continue; }
                Assert.NotNull(got);
                var ms = new MemoryStream();
                await ContentReader.CopyToAsync(fresh.Chunks, got, 0, got.Size, ms, Ct);
                Assert.Equal(Body(w), ms.ToArray());
            }
            var listed = new List<string>();
            var cursor = fresh.Cursor(c);
            for (var more = await cursor.SeekAsync("", true, Ct); more; more = await cursor.NextAsync(Ct)) listed.Add(cursor.Current!.Value.Key);
            Assert.Equal(state.Keys, listed);
            Assert.Equal(state.Count, (await TreeReader.TotalsAsync(fresh.Nodes, c.Root, Ct)).Count);
            var changed = new List<string>();
            await foreach (var ch in TreeDiff.DiffAsync(fresh.Nodes, parent?.Root, c.Root, Ct)) changed.Add(ch.Key);
            var expected = before.Keys.Union(state.Keys).Where(k => before.GetValueOrDefault(k, -1) != state.GetValueOrDefault(k, -1)).Order(StringComparer.Ordinal);
            Assert.Equal(expected, changed);
            parent = c;
        }
    }

    [Fact]
    public async Task GcKeepsTheBaseOfAnOverlayWhoseOwnCommitIsBelowTheHistoryFloor()
    {
        var gated = new GatedStore(_f.Meta);
        var s = new VersionedStore(gated, _f.Chunks);
        await s.CreateBranchAsync("r", "master", Ct);
        // The first commit (held) is the base of the chain of the ten queued behind it.
        await WriteGroupedAsync(s, gated, _master, [("base", async ctx => [await Content(s, ctx, "base", Body(3))]),
            .. Enumerable.Range(0, 10).Select(i => ($"{i}", (Func<CommitContext, Task<IEnumerable<Mutation>>>)(async ctx => [await Content(s, ctx, $"f{i}", Body(i + 10))])))]);
        var line = await LineAsync(s);
        Assert.True(await IsOverlayAsync(s, line[7]));

        await s.Retention.SetAsync("r", new Maintenance.RetentionPolicy(5, null), Ct);
        await s.Retention.ApplyAsync("r", Ct);
        Assert.Equal(7, (await s.GetBranchAsync("r", "master", Ct)).Floor); // the base commit's own tree is no longer kept
        await _f.Gc(TimeSpan.Zero).RunAsync(Ct);

        var fresh = new VersionedStore(_f.Meta, _f.Chunks);
        foreach (var c in line.Skip(6))
        {
            Assert.Equal(Body(3), await ReadAsync(fresh, c.Id, "base"));
            var listed = 0;
            await foreach (var _ in TreeDiff.DiffAsync(fresh.Nodes, null, c.Root, Ct)) listed++;
            Assert.Equal(c.Height, listed);
        }
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);
    }

    [Fact]
    public async Task ABranchMadeAtAnOverlayCommitWritesWholeTrees()
    {
        var gated = new GatedStore(_f.Meta);
        var s = new VersionedStore(gated, _f.Chunks);
        await s.CreateBranchAsync("r", "master", Ct);
        await WriteGroupedAsync(s, gated, _master, [.. Enumerable.Range(0, 12).Select(i => ($"{i}", (Func<CommitContext, Task<IEnumerable<Mutation>>>)(async ctx =>
            [await Content(s, ctx, $"f{i:D2}", Body(i))])))]);
        var line = await LineAsync(s);
        CommitInfo? at = null;
        foreach (var c in line.Skip(1).SkipLast(1))
            if (await IsOverlayAsync(s, c)) { at = c; break; }
        Assert.NotNull(at);

        Assert.True(await s.CreateBranchAtAsync("r", "side", at, Ct));
        var side = new BucketRef("r", "side", null);
        var head = (await s.CommitAsync(side, async ctx => [await Content(s, ctx, "new", Body(100))], "new", Ct))!;
        Assert.False(await IsOverlayAsync(s, head));
        var listed = new List<string>();
        var cursor = s.Cursor(head);
        for (var more = await cursor.SeekAsync("", true, Ct); more; more = await cursor.NextAsync(Ct)) listed.Add(cursor.Current!.Value.Key);
        var expected = new List<string>();
        foreach (var c in line.TakeWhile(c => c.Height <= at.Height)) expected.Add($"f{int.Parse(c.Message):D2}");
        expected.Add("new");
        Assert.Equal(expected.Order(StringComparer.Ordinal), listed);
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);

        // A chain built on the overlay commit makes that tree whole and stores it: its own overlays stand on a whole tree.
        var trees = new ChainTrees(new TreeWriter(s.Nodes), at.Root);
        for (var i = 0; i < 3; i++)
        {
            var m = new Mutation($"g{i}", MaintenanceFixture.Entry(await s.Content.WriteAsync(new MemoryStream(Body(i)), Ct), CommitId.New(), 0));
            Assert.True(await trees.ApplyAsync(CommitId.New(), [m], false, Ct));
        }
        var (roots, nodes) = await trees.SealAsync(Ct);
        var first = NodeCodec.Decode(nodes[roots[0]!.Value]);
        Assert.True(first.IsOverlay);
        Assert.NotEqual(at.Root, first.Base);
        Assert.False(NodeCodec.Decode(nodes[first.Base!.Value]).IsOverlay);
        Assert.False(NodeCodec.Decode(nodes[roots[2]!.Value]).IsOverlay);
    }

    [Fact]
    public async Task PurgingAVersionInAnOverlaysBaseLeavesNoPathToItsBytes()
    {
        var gated = new GatedStore(_f.Meta);
        var s = new VersionedStore(gated, _f.Chunks);
        await s.CreateBranchAsync("r", "master", Ct);
        var secret = MaintenanceFixture.Random(1 << 20, 7);
        Func<CommitContext, Task<IEnumerable<Mutation>>> Put(string key, byte[] data) => async ctx => [await Content(s, ctx, key, data)];

        // The first write (the secret) is held in its transaction while the next two are built on it: they are
        // stored as one chain whose first commit (k replaced) is an overlay on the tree that holds the secret.
        var w = await WriteGroupedAsync(s, gated, _master, [("k", Put("k", secret)), ("k", Put("k", Encoding.UTF8.GetBytes("public"))), ("other", Put("other", Encoding.UTF8.GetBytes("x")))]);
        var (c1, c2, c3) = (w[0], w[1], w[2]);
        Assert.Equal([c1.Id, c2.Id, c3.Id], (await LineAsync(s)).Select(c => c.Id));
        Assert.True(await IsOverlayAsync(s, c2), "the replacing commit was not stored as an overlay");
        var withSecret = _f.ChunkBytes();

        await s.Purges.PurgeAsync("r", "master", "k", c1.Id, false, "t", Ct);
        // The trees the purge replaced stay roots for a GC whose cutoff is not past the purge's millisecond.
        await Task.Delay(20);
        var gc = await _f.Gc(TimeSpan.Zero).RunAsync(Ct);

        Assert.True(_f.ChunkBytes() <= withSecret - (1 << 20), $"the purged bytes are still held ({gc.ChunkBytesFreed} freed)");
        var fresh = new VersionedStore(_f.Meta, _f.Chunks);
        Assert.Null(await fresh.GetFileAsync((await fresh.Commits.GetAsync(c1.Id, Ct))!, "k", Ct));
        Assert.Equal(Encoding.UTF8.GetBytes("public"), await ReadAsync(fresh, c2.Id, "k"));
        Assert.Equal(Encoding.UTF8.GetBytes("public"), await ReadAsync(fresh, c3.Id, "k"));
        Assert.Equal(Encoding.UTF8.GetBytes("x"), await ReadAsync(fresh, c3.Id, "other"));
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);
    }

    private static async Task<byte[]> ReadAsync(VersionedStore s, string commitId, string key)
    {
        var f = (await s.GetFileAsync((await s.Commits.GetAsync(commitId, Ct))!, key, Ct))!;
        var ms = new MemoryStream();
        await ContentReader.CopyToAsync(s.Chunks, f, 0, f.Size, ms, Ct);
        return ms.ToArray();
    }
}

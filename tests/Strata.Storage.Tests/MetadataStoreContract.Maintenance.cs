using System.Text;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Tests;

// Garbage collection and fsck seams: the cutoff check, touch times, dropped roots, leases,
// freshening against sweeping, and the listings GC and fsck page through.
public abstract partial class MetadataStoreContract
{
    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Waits until the clock has moved past <paramref name="ms"/>, so that the next store time is later.</summary>
    private static async Task PassAsync(long ms)
    {
        while (NowMs <= ms) await Task.Delay(5);
    }

    protected static async Task AssertExpiredAsync(Func<Task> write)
    {
        var e = await Assert.ThrowsAsync<StrataException>(write);
        Assert.Equal(StoreError.GcExpired, e.Error);
    }

    private async Task<List<DroppedRoot>> DroppedAsync(long since = 0) => [.. await Store.ListDroppedAsync(since, 0, 1000, Ct)];

    private static IReadOnlyList<ChunkRef> ChunksOf(DroppedRoot d)
    {
        Assert.Equal(DroppedKind.Chunks, d.Kind);
        return BinaryCodec.Decode(d.Ref, BinaryCodec.ReadChunks);
    }

    [Fact]
    public async Task AChainCommitReachingBehindThePublishedCutoffIsRefusedAndStoresNothing()
    {
        Assert.Equal(0, await Store.GetGcCutoffAsync(Ct));
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var head = await CommitOnAsync("r", "master");
        await Store.PublishGcCutoffAsync(1000, Ct);
        Assert.Equal(1000, await Store.GetGcCutoffAsync(Ct));
        var c = Commit("r", 2, head.Id);
        var node = Node("after the cutoff");
        await AssertExpiredAsync(() => Store.TryCommitChainAsync("master", head.Id, [new NewCommit(c, [Version("k", c)])], [node], 999, Ct));
        Assert.Equal(head.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        Assert.Null(await Store.GetCommitAsync(c.Id, Ct));
        Assert.Null(await Store.GetNodeAsync(node.Key, Ct));
        Assert.Null(await Store.GetVersionAsync("r", "k", c.Id, Ct));
        // Refused even when the CAS would fail anyway: the check comes first.
        await AssertExpiredAsync(() => Store.TryCommitChainAsync("master", "not-the-head", [new NewCommit(c, [])], [], 999, Ct));
        Assert.True(await Store.TryCommitChainAsync("master", head.Id, [new NewCommit(c, [Version("k", c)])], [node], 1000, Ct));
        Assert.Equal(c.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        Assert.Equal(node.Value, await Store.GetNodeAsync(node.Key, Ct));
        Assert.Equal(Version("k", c), await Store.GetVersionAsync("r", "k", c.Id, Ct));
    }

    [Fact]
    public async Task PartsAndOpenCommitsReachingBehindThePublishedCutoffAreRefused()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        await Store.CreateUploadAsync(Upload("u", "k"), Ct);
        Assert.True(await Store.PutPartAsync(Part("u", 1), long.MaxValue, Ct));
        var o = new OpenCommit(CommitId.New(), "r", "master", null, null, T0);
        Assert.True(await Store.StartCommitAsync(o, Ct));
        await Store.PublishGcCutoffAsync(1000, Ct);

        // A new part and a replacement: neither stored, nothing recorded as dropped.
        await AssertExpiredAsync(() => Store.PutPartAsync(Part("u", 2), 999, Ct));
        await AssertExpiredAsync(() => Store.PutPartAsync(Part("u", 1, size: 500), 999, Ct));
        var parts = await Store.ListPartsAsync("u", 0, 100, Ct);
        AssertSame(Part("u", 1), Assert.Single(parts));
        Assert.Empty(await DroppedAsync());
        Assert.True(await Store.PutPartAsync(Part("u", 2), 1000, Ct));
        Assert.Equal([1, 2], (await Store.ListPartsAsync("u", 0, 100, Ct)).Select(p => p.Number));

        var root = Hash.Of([1]);
        var node = Node("open commit node");
        await AssertExpiredAsync(() => Store.TryUpdateOpenCommitAsync(o, null, root, [node], 999, Ct));
        Assert.Equal(o, await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.Null(await Store.GetNodeAsync(node.Key, Ct));
        Assert.True(await Store.TryUpdateOpenCommitAsync(o, null, root, [node], 1000, Ct));
        Assert.Equal(node.Value, await Store.GetNodeAsync(node.Key, Ct));

        o = o with { Root = root };
        var c = Commit("r", 1, null, root);
        await AssertExpiredAsync(() => Store.TryFinishCommitAsync(o, c, [Version("k", c)], 999, Ct));
        Assert.Equal(o, await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.Null((await Store.GetBranchAsync("r", "master", Ct))!.Head);
        Assert.Null(await Store.GetCommitAsync(c.Id, Ct));
        Assert.True(await Store.TryFinishCommitAsync(o, c, [Version("k", c)], 1000, Ct));
        Assert.Equal(c.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
    }

    [Fact]
    public async Task PublishingNeverLowersTheCutoff()
    {
        Assert.Equal("0", await Store.GetSettingAsync("gc_cutoff", Ct));
        await Store.PublishGcCutoffAsync(5000, Ct);
        await Store.PublishGcCutoffAsync(3000, Ct);
        Assert.Equal(5000, await Store.GetGcCutoffAsync(Ct));
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var c = Commit("r", 1);
        await AssertExpiredAsync(() => Store.TryCommitChainAsync("master", null, [new NewCommit(c, [])], [], 4000, Ct));
        await Store.PublishGcCutoffAsync(7000, Ct);
        Assert.Equal(7000, await Store.GetGcCutoffAsync(Ct));
        await AssertExpiredAsync(() => Store.TryCommitChainAsync("master", null, [new NewCommit(c, [])], [], 6999, Ct));
        Assert.True(await Store.TryCommitChainAsync("master", null, [new NewCommit(c, [])], [], 7000, Ct));
    }

    [Fact]
    public async Task InsertingAnExistingNodeAgainRefreshesItsTouchTime()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var (x, y) = (Node("x"), Node("y"));
        var before = NowMs;
        await CommitOnAsync("r", "master", nodes: [x]);
        var first = Assert.Single(await Store.ListNodesAsync(null, 10, Ct));
        Assert.Equal((x.Key, x.Value.Length), (first.Id, first.Length));
        Assert.InRange(first.TouchedUnixMs, before, NowMs);
        await PassAsync(first.TouchedUnixMs);
        await CommitOnAsync("r", "master", nodes: [x, y]);
        var second = (await Store.ListNodesAsync(null, 10, Ct)).Single(n => n.Id == x.Key);
        Assert.True(second.TouchedUnixMs > first.TouchedUnixMs, $"{second.TouchedUnixMs} > {first.TouchedUnixMs}");
        Assert.Equal(x.Value, await Store.GetNodeAsync(x.Key, Ct));

        // An open commit's nodes are touched the same way.
        var o = new OpenCommit(CommitId.New(), "r", "master", null, null, T0);
        await Store.StartCommitAsync(o, Ct);
        await PassAsync(second.TouchedUnixMs);
        Assert.True(await Store.TryUpdateOpenCommitAsync(o, null, x.Key, [x], long.MaxValue, Ct));
        var third = (await Store.ListNodesAsync(null, 10, Ct)).Single(n => n.Id == x.Key);
        Assert.True(third.TouchedUnixMs > second.TouchedUnixMs, $"{third.TouchedUnixMs} > {second.TouchedUnixMs}");
    }

    [Fact]
    public async Task DeletingNodesSparesThoseTouchedAtOrAfterTheCutoff()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var (old, young) = (Node("old"), Node("young"));
        await CommitOnAsync("r", "master", nodes: [old]);
        var oldTouched = Assert.Single(await Store.ListNodesAsync(null, 10, Ct)).TouchedUnixMs;
        await PassAsync(oldTouched);
        await CommitOnAsync("r", "master", nodes: [young]);
        var youngTouched = (await Store.ListNodesAsync(null, 10, Ct)).Single(n => n.Id == young.Key).TouchedUnixMs;
        Assert.Equal(0, await Store.DeleteNodesAsync([old.Key, young.Key], oldTouched, Ct));
        Assert.Equal(1, await Store.DeleteNodesAsync([old.Key, young.Key, Node("missing").Key], youngTouched, Ct));
        Assert.Null(await Store.GetNodeAsync(old.Key, Ct));
        Assert.Equal(young.Value, await Store.GetNodeAsync(young.Key, Ct));
        Assert.Equal(0, await Store.DeleteNodesAsync([], long.MaxValue, Ct));
        Assert.Equal(1, await Store.DeleteNodesAsync([young.Key], youngTouched + 1, Ct));
        Assert.Empty(await Store.ListNodesAsync(null, 10, Ct));
    }

    [Fact]
    public async Task NodesAreListedInIdOrderPageByPage()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var nodes = Enumerable.Range(0, 25).Select(i => Node(new string('n', i + 1))).ToList();
        await CommitOnAsync("r", "master", nodes: nodes[..12]);
        await CommitOnAsync("r", "master", nodes: nodes[12..]);
        var listed = new List<NodeStat>();
        Hash? after = null;
        while (true)
        {
            var page = await Store.ListNodesAsync(after, 10, Ct);
            Assert.True(page.Count <= 10);
            listed.AddRange(page);
            if (page.Count < 10) break;
            after = page[^1].Id;
        }
        // Hex strings compare as the hashes' bytes do.
        Assert.Equal(nodes.OrderBy(n => n.Key.ToString(), StringComparer.Ordinal).Select(n => (n.Key, n.Value.Length)),
            listed.Select(n => (n.Id, n.Length)));
        Assert.Empty(await Store.ListNodesAsync(listed[^1].Id, 10, Ct));
    }

    [Fact]
    public async Task GetNodesReturnsTheOnesThatExistInRequestOrder()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var (a, b, c) = (Node("a"), Node("b"), Node("c"));
        await CommitOnAsync("r", "master", nodes: [a, b, c]);
        var found = await Store.GetNodesAsync([c.Key, Node("missing").Key, a.Key], Ct);
        Assert.Equal([c.Key, a.Key], found.Select(n => n.Key));
        Assert.Equal([c.Value, a.Value], found.Select(n => n.Value));
        Assert.Empty(await Store.GetNodesAsync([], Ct));
    }

    [Fact]
    public async Task CommitsAreListedInIdOrderPageByPage()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        await Store.CreateBranchAsync("other", "master", null, T0, Ct);
        var commits = new List<CommitInfo>();
        for (var i = 0; i < 7; i++)
            commits.Add(await CommitOnAsync(i % 2 == 0 ? "r" : "other", "master"));
        var listed = new List<CommitInfo>();
        var after = "";
        while (true)
        {
            var page = await Store.ListCommitsAsync(after, 3, Ct);
            listed.AddRange(page);
            if (page.Count < 3) break;
            after = page[^1].Id;
        }
        Assert.Equal(commits.OrderBy(c => c.Id, StringComparer.Ordinal), listed);
    }

    [Fact]
    public async Task DeletingCommitsRemovesThoseMadeBeforeTheCutoffWithTheirVersionRows()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        await Store.CreateBranchAsync("other", "master", null, T0, Ct);
        var c1 = await CommitOnAsync("r", "master", versionsOf: c => [Version("k", c), Version("j", c)]);
        var c2 = await CommitOnAsync("r", "master", versionsOf: c => [Version("k", c)]);
        var elsewhere = await CommitOnAsync("other", "master", versionsOf: c => [Version("k", c)]);
        Assert.True(c1.TimeUnixMs < c2.TimeUnixMs);
        Assert.Equal(0, await Store.DeleteCommitsAsync([c1.Id, c2.Id], c1.TimeUnixMs, Ct));
        Assert.Equal(1, await Store.DeleteCommitsAsync([c1.Id, c2.Id, "missing"], c2.TimeUnixMs, Ct));
        Assert.Null(await Store.GetCommitAsync(c1.Id, Ct));
        Assert.Empty(await Store.ListCommitVersionsAsync("r", c1.Id, Ct));
        Assert.Null(await Store.GetVersionAsync("r", "j", c1.Id, Ct));
        Assert.Equal(c2, await Store.GetCommitAsync(c2.Id, Ct));
        Assert.Equal([Version("k", c2)], await Store.ListCommitVersionsAsync("r", c2.Id, Ct));
        Assert.Equal(elsewhere, await Store.GetCommitAsync(elsewhere.Id, Ct));
        Assert.Equal([Version("k", elsewhere)], await Store.ListCommitVersionsAsync("other", elsewhere.Id, Ct));
        Assert.Equal(0, await Store.DeleteCommitsAsync([], long.MaxValue, Ct));
    }

    [Fact]
    public async Task DeletingABranchRecordsItsHeadAsADroppedRoot()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        await Store.CreateBranchAsync("r", "empty", null, T0, Ct);
        var head = await CommitOnAsync("r", "master");
        var before = NowMs;
        Assert.True(await Store.DeleteBranchAsync("r", "master", Ct));
        Assert.True(await Store.DeleteBranchAsync("r", "empty", Ct));
        Assert.False(await Store.DeleteBranchAsync("r", "missing", Ct));
        var d = Assert.Single(await DroppedAsync());
        Assert.Equal(DroppedKind.Commit, d.Kind);
        Assert.Equal(head.Id, Encoding.UTF8.GetString(d.Ref));
        Assert.InRange(d.DroppedUnixMs, before, NowMs);
    }

    private async Task<long> FloorAsync(string repo, string branch) => (await Store.GetBranchAsync(repo, branch, Ct))!.Floor;

    [Fact]
    public async Task RaisingABranchFloorRecordsTheCommitBelowItAsADroppedRoot()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        await Store.CreateBranchAsync("r", "dev", null, T0, Ct);
        Assert.Equal(0, await FloorAsync("r", "master"));
        var c1 = await CommitOnAsync("r", "master");
        var c2 = await CommitOnAsync("r", "master");
        var c3 = await CommitOnAsync("r", "master");
        Assert.Equal(0, await FloorAsync("r", "master"));

        var before = NowMs;
        Assert.True(await Store.RaiseBranchFloorAsync("r", "master", 2, c1.Id, Ct));
        Assert.Equal(new BranchInfo("r", "master", c3.Id, T0) { Floor = 2, MayHaveObjectTags = false }, await Store.GetBranchAsync("r", "master", Ct));
        Assert.Equal([("dev", 0L), ("master", 2L)], (await Store.ListBranchesAsync(Ct)).Select(b => (b.Name, b.Floor)));
        var d = Assert.Single(await DroppedAsync());
        Assert.Equal(DroppedKind.Commit, d.Kind);
        Assert.Equal(c1.Id, Encoding.UTF8.GetString(d.Ref));
        Assert.InRange(d.DroppedUnixMs, before, NowMs);

        // Not raising (the same floor or a lower one) and a missing branch: false, nothing recorded, nothing changed.
        Assert.False(await Store.RaiseBranchFloorAsync("r", "master", 2, c1.Id, Ct));
        Assert.False(await Store.RaiseBranchFloorAsync("r", "master", 1, "lower", Ct));
        Assert.False(await Store.RaiseBranchFloorAsync("r", "missing", 5, "missing-branch", Ct));
        Assert.False(await Store.RaiseBranchFloorAsync("missing", "master", 5, "missing-repo", Ct));
        Assert.Equal([d.Seq], (await DroppedAsync()).Select(x => x.Seq));
        Assert.Equal(2, await FloorAsync("r", "master"));
        Assert.False(await Store.RepoExistsAsync("missing", Ct));
        Assert.Null(await Store.GetBranchAsync("r", "missing", Ct));

        Assert.True(await Store.RaiseBranchFloorAsync("r", "master", 3, c2.Id, Ct));
        var again = await DroppedAsync();
        Assert.Equal(2, again.Count);
        Assert.Equal((DroppedKind.Commit, c2.Id), (again[1].Kind, Encoding.UTF8.GetString(again[1].Ref)));
        Assert.Equal(3, await FloorAsync("r", "master"));
        Assert.Equal(0, await FloorAsync("r", "dev"));
    }

    [Fact]
    public async Task MovingTheHeadKeepsTheFloor()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var c1 = await CommitOnAsync("r", "master");
        var c2 = await CommitOnAsync("r", "master");
        Assert.True(await Store.RaiseBranchFloorAsync("r", "master", 2, c1.Id, Ct));

        // A chain commit, a failed CAS, and an explicit commit finishing: the head moves, the floor stays.
        var c3 = await CommitOnAsync("r", "master");
        Assert.Equal(new BranchInfo("r", "master", c3.Id, T0) { Floor = 2, MayHaveObjectTags = false }, await Store.GetBranchAsync("r", "master", Ct));
        Assert.False(await Store.TryCommitAsync("master", c2.Id, Commit("r", 3, c2.Id), [], [], Ct));
        Assert.Equal(2, await FloorAsync("r", "master"));
        var o = new OpenCommit(CommitId.New(), "r", "master", c3.Id, null, T0);
        Assert.True(await Store.StartCommitAsync(o, Ct));
        var c4 = Commit("r", 4, c3.Id);
        Assert.True(await Store.TryFinishCommitAsync(o, c4, [], long.MaxValue, Ct));
        Assert.Equal(new BranchInfo("r", "master", c4.Id, T0) { Floor = 2, MayHaveObjectTags = false }, await Store.GetBranchAsync("r", "master", Ct));

        // A branch deleted and created again starts over.
        Assert.True(await Store.DeleteBranchAsync("r", "master", Ct));
        Assert.True(await Store.CreateBranchAsync("r", "master", c4.Id, T0, Ct));
        Assert.Equal(0, await FloorAsync("r", "master"));
    }

    [Fact]
    public async Task OfRacingRaisesToOneFloorExactlyOneRecordsADroppedRoot()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var raised = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Store.RaiseBranchFloorAsync("r", "master", 5, $"below-{i}", Ct))));
        Assert.Equal(1, raised.Count(r => r));
        var d = Assert.Single(await DroppedAsync());
        Assert.Equal($"below-{Array.IndexOf(raised, true)}", Encoding.UTF8.GetString(d.Ref));
        Assert.Equal(5, await FloorAsync("r", "master"));
    }

    [Fact]
    public async Task ReplacedAbortedAndCompletedPartsAreRecordedAsDroppedChunkRoots()
    {
        await Store.CreateUploadAsync(Upload("u1", "k"), Ct);
        await Store.CreateUploadAsync(Upload("u2", "k"), Ct);
        foreach (var n in new[] { 1, 2 }) await Store.PutPartAsync(Part("u1", n), long.MaxValue, Ct);
        await Store.PutPartAsync(Part("u2", 1), long.MaxValue, Ct);
        Assert.Empty(await DroppedAsync());

        var replacement = Part("u1", 2, size: 500) with { Chunks = [new(Hash.Of([42]), 500)] };
        await Store.PutPartAsync(replacement, long.MaxValue, Ct);
        var replaced = Assert.Single(await DroppedAsync());
        Assert.Equal(Part("u1", 2).Chunks, ChunksOf(replaced));

        Assert.True(await Store.DeleteUploadAsync("u1", Ct));
        var aborted = (await DroppedAsync()).Skip(1).ToList();
        Assert.Equal(2, aborted.Count);
        Assert.Equal(new[] { Part("u1", 1).Chunks, replacement.Chunks }.Select(c => string.Join(",", c)).Order(),
            aborted.Select(d => string.Join(",", ChunksOf(d))).Order());

        await Store.MarkUploadCompletedAsync("u2", [new("ETag", "\"x\"")], Ct);
        var all = await DroppedAsync();
        Assert.Equal(4, all.Count);
        Assert.Equal(Part("u2", 1).Chunks, ChunksOf(all[^1]));
        Assert.All(all.Zip(all.Skip(1)), p => Assert.True(p.First.Seq < p.Second.Seq));

        // Paging by Seq.
        var page = await Store.ListDroppedAsync(0, all[1].Seq, 2, Ct);
        Assert.Equal(all[2..4].Select(d => d.Seq), page.Select(d => d.Seq));
    }

    [Fact]
    public async Task ABranchDeletedWhileACommitLandsRecordsTheLastHead()
    {
        for (var round = 0; round < 20; round++)
        {
            var repo = $"r{round}";
            await Store.CreateBranchAsync(repo, "master", null, T0, Ct);
            var head = await CommitOnAsync(repo, "master");
            var next = Commit(repo, 2, head.Id);
            var commit = Task.Run(() => Store.TryCommitAsync("master", head.Id, next, [], [], Ct));
            var delete = Task.Run(() => Store.DeleteBranchAsync(repo, "master", Ct));
            var committed = await commit;
            Assert.True(await delete);
            var d = (await DroppedAsync()).Last();
            Assert.Equal(committed ? next.Id : head.Id, Encoding.UTF8.GetString(d.Ref));
        }
    }

    [Fact]
    public async Task EveryReplacedPartOfRacingUploadsIsRecorded()
    {
        await Store.CreateUploadAsync(Upload("u", "k"), Ct);
        var parts = Enumerable.Range(0, 8).Select(i => Part("u", 1) with { Chunks = [new(Hash.Of([(byte)i, 9]), 100 + i)] }).ToList();
        Assert.All(await Task.WhenAll(parts.Select(p => Task.Run(() => Store.PutPartAsync(p, long.MaxValue, Ct)))), Assert.True);
        var kept = Assert.Single(await Store.ListPartsAsync("u", 0, 10, Ct));
        var dropped = (await DroppedAsync()).Select(ChunksOf).ToList();
        Assert.Equal(parts.Count - 1, dropped.Count);
        Assert.Equal(parts.Select(p => p.Chunks[0]).OrderBy(c => c.Length), dropped.Append(kept.Chunks).Select(c => Assert.Single(c)).OrderBy(c => c.Length));
    }

    [Fact]
    public async Task DroppedRootsAreListedSinceATimeAndPurgedBeforeOne()
    {
        foreach (var b in new[] { "a", "b" })
        {
            await Store.CreateBranchAsync("r", b, null, T0, Ct);
            await CommitOnAsync("r", b);
        }
        await Store.DeleteBranchAsync("r", "a", Ct);
        var first = Assert.Single(await DroppedAsync());
        await PassAsync(first.DroppedUnixMs);
        await Store.DeleteBranchAsync("r", "b", Ct);
        var second = (await DroppedAsync())[^1];
        Assert.True(second.DroppedUnixMs > first.DroppedUnixMs);
        Assert.Equal([first.Seq, second.Seq], (await DroppedAsync(first.DroppedUnixMs)).Select(d => d.Seq));
        Assert.Equal([second.Seq], (await DroppedAsync(second.DroppedUnixMs)).Select(d => d.Seq));
        Assert.Empty(await DroppedAsync(second.DroppedUnixMs + 1));
        Assert.Equal(0, await Store.PurgeDroppedAsync(first.DroppedUnixMs, Ct));
        Assert.Equal(1, await Store.PurgeDroppedAsync(second.DroppedUnixMs, Ct));
        Assert.Equal([second.Seq], (await DroppedAsync()).Select(d => d.Seq));
        Assert.Equal(1, await Store.PurgeDroppedAsync(long.MaxValue, Ct));
        Assert.Empty(await DroppedAsync());
    }

    [Fact]
    public async Task ALeaseIsHeldByOneOwnerUntilItExpiresOrIsReleased()
    {
        var soon = DateTimeOffset.UtcNow.AddMinutes(1);
        Assert.True(await Store.TryAcquireLeaseAsync("gc", "a", soon, Ct));
        Assert.False(await Store.TryAcquireLeaseAsync("gc", "b", soon, Ct));
        Assert.True(await Store.TryAcquireLeaseAsync("gc", "a", soon.AddMinutes(1), Ct));
        Assert.True(await Store.TryAcquireLeaseAsync("other", "b", soon, Ct));
        await Store.ReleaseLeaseAsync("gc", "b", Ct); // not b's: no effect
        Assert.False(await Store.TryAcquireLeaseAsync("gc", "b", soon, Ct));
        await Store.ReleaseLeaseAsync("gc", "a", Ct);
        Assert.True(await Store.TryAcquireLeaseAsync("gc", "b", soon, Ct));
        Assert.False(await Store.TryAcquireLeaseAsync("gc", "a", soon, Ct));

        // An expired lease is anyone's.
        Assert.True(await Store.TryAcquireLeaseAsync("stale", "a", DateTimeOffset.UtcNow.AddSeconds(-1), Ct));
        Assert.True(await Store.TryAcquireLeaseAsync("stale", "b", soon, Ct));
        Assert.False(await Store.TryAcquireLeaseAsync("stale", "a", soon, Ct));
    }

    [Fact]
    public async Task ConcurrentLeaseTakersHaveExactlyOneWinner()
    {
        var soon = DateTimeOffset.UtcNow.AddMinutes(1);
        var won = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.TryAcquireLeaseAsync("gc", $"owner-{i}", soon, Ct))));
        Assert.Equal(1, won.Count(w => w));
    }

    [Fact]
    public async Task SettingsRoundTripAndOverwrite()
    {
        Assert.Null(await Store.GetSettingAsync("gc_last", Ct));
        await Store.SetSettingAsync("gc_last", "{\"a\":1} ü", Ct);
        Assert.Equal("{\"a\":1} ü", await Store.GetSettingAsync("gc_last", Ct));
        await Store.SetSettingAsync("gc_last", "", Ct);
        Assert.Equal("", await Store.GetSettingAsync("gc_last", Ct));
    }

    [Fact]
    public async Task ASweepSparesTheChunksFreshenedSinceItsCutoff()
    {
        var (a, b, c) = (Hash.Of([1]), Hash.Of([2]), Hash.Of([3]));
        var since = NowMs;
        var touched = new List<Hash>();
        Assert.True(await Store.FreshenChunkAsync(a, _ => { touched.Add(a); return Task.FromResult(true); }, Ct));
        Assert.False(await Store.FreshenChunkAsync(b, _ => { touched.Add(b); return Task.FromResult(false); }, Ct));
        Assert.Equal([a, b], touched);

        var deleted = new List<Hash>();
        Task Delete(IReadOnlyList<Hash> ids, CancellationToken _)
        {
            deleted.AddRange(ids);
            return Task.CompletedTask;
        }
        Assert.Equal(1, await Store.SweepChunksAsync([a, b, c], since, Delete, Ct));
        Assert.Equal([c], deleted);
        // Freshened before the cutoff: fair game.
        deleted.Clear();
        Assert.Equal(3, await Store.SweepChunksAsync([a, b, c], NowMs + 60_000, Delete, Ct));
        Assert.Equal([a, b, c], deleted);
        // Nothing to delete: the callback is not called.
        deleted.Clear();
        Assert.Equal(0, await Store.SweepChunksAsync([a, b], since, (_, _) => throw new InvalidOperationException("called"), Ct));
        Assert.Equal(0, await Store.SweepChunksAsync([], since, (_, _) => throw new InvalidOperationException("called"), Ct));
        // Purged records no longer protect.
        Assert.True(await Store.PurgeFreshenedAsync(NowMs + 60_000, Ct) >= 2);
        Assert.Equal(2, await Store.SweepChunksAsync([a, b], since, Delete, Ct));
        Assert.Equal([a, b], deleted);
    }

    [Fact]
    public async Task AFreshenWaitsForTheSweepBatchInProgress()
    {
        var id = Hash.Of([7]);
        var deleting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sweep = Task.Run(() => Store.SweepChunksAsync([id], NowMs, async (_, _) =>
        {
            deleting.SetResult();
            await release.Task;
        }, Ct));
        await deleting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var touched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var freshen = Task.Run(() => Store.FreshenChunkAsync(id, _ =>
        {
            touched.SetResult();
            return Task.FromResult(false); // the sweep deleted it
        }, Ct));
        await Task.Delay(500);
        Assert.False(touched.Task.IsCompleted, "the freshen touched the chunk while the sweep was deleting");
        release.SetResult();
        Assert.Equal(1, await sweep);
        await touched.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(await freshen);
    }

    [Fact]
    public async Task ASweepWaitsForTheFreshenInProgressAndThenSparesItsChunk()
    {
        var id = Hash.Of([8]);
        var since = NowMs;
        var touching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var freshen = Task.Run(() => Store.FreshenChunkAsync(id, async _ =>
        {
            touching.SetResult();
            await release.Task;
            return true;
        }, Ct));
        await touching.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var deleted = new List<Hash>();
        var sweep = Task.Run(() => Store.SweepChunksAsync([id, Hash.Of([9])], since, (ids, _) =>
        {
            lock (deleted) deleted.AddRange(ids);
            return Task.CompletedTask;
        }, Ct));
        await Task.Delay(500);
        Assert.False(sweep.IsCompleted, "the sweep ran while a chunk was being freshened");
        release.SetResult();
        Assert.True(await freshen);
        Assert.Equal(1, await sweep.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal([Hash.Of([9])], deleted);
    }

    [Fact]
    public async Task CommitVersionsAreListedByKeyAndCanBeReplaced()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        string[] keys = ["b", "a", "日本", "a/b", "😀", "\uFF5E"];
        var c1 = await CommitOnAsync("r", "master", versionsOf: c => [.. keys.Select(k => Version(k, c))]);
        var c2 = await CommitOnAsync("r", "master", versionsOf: c => [Version("a", c)]);
        var sorted = keys.Order(Comparer<string>.Create(Utf8Compare)).ToList();
        Assert.Equal(sorted.Select(k => Version(k, c1)), await Store.ListCommitVersionsAsync("r", c1.Id, Ct));
        Assert.Empty(await Store.ListCommitVersionsAsync("other", c1.Id, Ct));

        VersionRow[] rebuilt = [Version("z", c1), Version("a", c1, delete: true)];
        await Store.ReplaceCommitVersionsAsync(c1, rebuilt, Ct);
        Assert.Equal([Version("a", c1, delete: true), Version("z", c1)], await Store.ListCommitVersionsAsync("r", c1.Id, Ct));
        Assert.Null(await Store.GetVersionAsync("r", "b", c1.Id, Ct));
        Assert.Equal([Version("a", c2)], await Store.ListCommitVersionsAsync("r", c2.Id, Ct));
        Assert.Equal([Version("a", c2), Version("a", c1, delete: true)], (await Store.ListVersionsAsync("r", "a", "", long.MaxValue, 2, Ct)));
        await Store.ReplaceCommitVersionsAsync(c1, [], Ct);
        Assert.Empty(await Store.ListCommitVersionsAsync("r", c1.Id, Ct));
    }

    [Fact]
    public async Task AllPartsAreListedByUploadThenNumberPageByPage()
    {
        foreach (var id in new[] { "u2", "u1", "U0", "done" })
        {
            await Store.CreateUploadAsync(Upload(id, "k"), Ct);
            foreach (var n in new[] { 3, 1, 2, 10 }) await Store.PutPartAsync(Part(id, n), long.MaxValue, Ct);
        }
        await Store.MarkUploadCompletedAsync("done", [new("ETag", "\"x\"")], Ct);
        var listed = new List<PartInfo>();
        var (afterUpload, afterNumber) = ("", 0);
        while (true)
        {
            var page = await Store.ListAllPartsAsync(afterUpload, afterNumber, 5, Ct);
            listed.AddRange(page);
            if (page.Count < 5) break;
            (afterUpload, afterNumber) = (page[^1].UploadId, page[^1].Number);
        }
        var expected = new[] { "U0", "u1", "u2" }.SelectMany(u => new[] { 1, 2, 3, 10 }.Select(n => Part(u, n))).ToList();
        Assert.Equal(expected.Select(p => (p.UploadId, p.Number)), listed.Select(p => (p.UploadId, p.Number)));
        foreach (var (e, a) in expected.Zip(listed)) AssertSame(e, a);
        Assert.Equal([10], (await Store.ListAllPartsAsync("u2", 3, 5, Ct)).Select(p => p.Number));
    }

    [Fact]
    public async Task OpenCommitsAreListedByRepoThenBranch()
    {
        Assert.Empty(await Store.ListOpenCommitsAsync(Ct));
        var opens = new[] { ("r", "master"), ("R", "dev"), ("r", "dev"), ("a", "z") }
            .Select((rb, i) => new OpenCommit(CommitId.New(), rb.Item1, rb.Item2, i % 2 == 0 ? null : "base", i % 2 == 0 ? Hash.Of([(byte)i]) : null, T0.AddSeconds(i)))
            .ToList();
        foreach (var o in opens) Assert.True(await Store.StartCommitAsync(o, Ct));
        Assert.Equal(opens.OrderBy(o => o.Repo, StringComparer.Ordinal).ThenBy(o => o.Branch, StringComparer.Ordinal), await Store.ListOpenCommitsAsync(Ct));
    }
}

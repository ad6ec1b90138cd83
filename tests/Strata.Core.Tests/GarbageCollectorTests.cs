using Strata.Core.Maintenance;
using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Core.Tests;

/// <summary>Mark-and-sweep on the embedded backends: what it frees, what it must keep, and the writes it must refuse.</summary>
public sealed class GarbageCollectorTests
{
    private static readonly CancellationToken Ct = MaintenanceFixture.Ct;

    [Fact]
    public async Task FreesWhatNoRootReachesAndKeepsEveryLiveVersion()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var keep = new BucketRef("keep", "master", null);
        await f.Store.CreateBranchAsync("keep", "master", Ct);
        var live = new List<(CommitInfo Commit, string Key, byte[] Data)>();
        for (var i = 0; i < 4; i++)
        {
            var data = MaintenanceFixture.Random(1 << 20, i);
            live.Add((await f.PutAsync(keep, $"f{i}", data), $"f{i}", data));
        }
        var over = MaintenanceFixture.Random(1 << 20, 100);
        live.Add((await f.PutAsync(keep, "f0", over), "f0", over)); // f0's first version stays in history
        var before = f.ChunkBytes();
        Assert.True((await f.Fsck().RunAsync(Ct)).Clean);

        // Garbage of every kind: a deleted branch, an aborted multipart upload, an abandoned
        // explicit commit, content stored for a write that then failed (a bad digest).
        var junk = new BucketRef("junk", "master", null);
        await f.Store.CreateBranchAsync("junk", "master", Ct);
        await f.PutAsync(junk, "big", MaintenanceFixture.Random(6 << 20, 200));
        await f.Store.DeleteBranchAsync("junk", "master", Ct);
        var u = await f.Store.Uploads.CreateAsync(keep, "mp", [], null, null, Ct);
        for (var p = 1; p <= 2; p++)
        {
            var part = await f.Store.Content.WriteAsync(new MemoryStream(MaintenanceFixture.Random(5 << 20, 300 + p)), Ct);
            await f.Store.Uploads.PutPartAsync(u, p, part, [], DateTimeOffset.UtcNow, Ct);
        }
        Assert.True(await f.Store.Uploads.AbortAsync(u.Id, Ct));
        await f.Store.StartCommitAsync("keep", "master", Ct);
        await f.PutAsync(keep, "staged", MaintenanceFixture.Random(3 << 20, 400));
        await f.Store.AbandonCommitAsync("keep", "master", Ct);
        await f.Store.Content.WriteAsync(new MemoryStream(MaintenanceFixture.Random(2 << 20, 500)), Ct);
        var bloated = f.ChunkBytes();
        Assert.True(bloated > before + (20 << 20), $"the garbage was not stored: {before} -> {bloated}");

        var r = await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        var after = f.ChunkBytes();
        Assert.True(Math.Abs(after - before) <= before / 20, $"chunk files: {before} before the garbage, {bloated} with it, {after} after gc");
        Assert.Equal(bloated - after, r.ChunkBytesFreed);
        Assert.True(r.NodesDeleted > 0 && r.CommitsDeleted == 1, $"nodes {r.NodesDeleted}, commits {r.CommitsDeleted}");
        foreach (var (commit, key, data) in live) Assert.Equal(data, await f.ReadAsync(commit, key));
        var fsck = await f.Fsck().RunAsync(Ct);
        Assert.True(fsck.Clean, string.Join("; ", fsck.Problems.Select(p => p.Detail)));
        Assert.Equal(0, (await f.Gc(TimeSpan.Zero).RunAsync(Ct)).ChunksDeleted); // idempotent
    }

    [Fact]
    public async Task WritesThatBeganBeforeThePublishedCutoffAreRefused()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var early = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(5);
        await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        var e = await Assert.ThrowsAsync<StrataException>(() => f.PutAsync(b, "k", [1, 2, 3], since: early));
        Assert.Equal(StoreError.GcExpired, e.Error);
        Assert.Null((await f.Store.GetBranchAsync("r", "master", Ct)).Head);
        var u = await f.Store.Uploads.CreateAsync(b, "mp", [], null, null, Ct);
        var part = await f.Store.Content.WriteAsync(new MemoryStream([4, 5, 6]), Ct);
        e = await Assert.ThrowsAsync<StrataException>(() => f.Store.Uploads.PutPartAsync(u, 1, part, [], early, Ct));
        Assert.Equal(StoreError.GcExpired, e.Error);
        Assert.Empty(await f.Meta.ListPartsAsync(u.Id, 0, 10, Ct));
        // A write that began after the cutoff goes through.
        Assert.NotNull(await f.PutAsync(b, "k", [1, 2, 3]));
    }

    [Fact]
    public async Task AfterACollectionWithNoGraceNewWritesGoThroughAndAReuseIsRefusedOnlyOnce()
    {
        using var f = new MaintenanceFixture(TimeSpan.FromMinutes(30));
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var data = MaintenanceFixture.Random(300_000, 11);
        await f.PutAsync(b, "a", data); // its chunk is touched now, then a collection with no grace
        await Task.Delay(20);
        await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        Assert.NotNull(await f.PutAsync(b, "fresh", MaintenanceFixture.Random(1000, 12)));
        // Reusing the chunk touched before the cutoff relies on that old touch: refused once...
        var e = await Assert.ThrowsAsync<StrataException>(() => f.PutAsync(b, "again", data));
        Assert.Equal(StoreError.GcExpired, e.Error);
        // ...and the retry, which now knows the cutoff, freshens the chunk and commits.
        var retry = await f.PutAsync(b, "again", data);
        Assert.Equal(data, await f.ReadAsync(retry, "again"));
    }

    [Fact]
    public async Task AnOldChunkAWriteReusesIsFreshenedAndSurvivesACollectionBeforeTheCommit()
    {
        using var f = new MaintenanceFixture(TimeSpan.FromMinutes(30));
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var data = MaintenanceFixture.Random(300_000, 7);
        var orphan = await f.Store.Content.WriteAsync(new MemoryStream(data), Ct); // garbage: never committed
        var path = Directory.EnumerateFiles(f.ChunkDir, orphan.Chunks[0].Id.ToString(), SearchOption.AllDirectories).Single();
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-2));

        // A new write of the same bytes finds the chunk and, as it is old, freshens it; a
        // collection runs before that write commits: the chunk must survive.
        var started = DateTimeOffset.UtcNow;
        var again = await f.Store.Content.WriteAsync(new MemoryStream(data), Ct);
        Assert.True(File.GetLastWriteTimeUtc(path) > DateTime.UtcNow.AddMinutes(-1), "the reused chunk was not freshened");
        var r = await f.Gc(TimeSpan.FromHours(1)).RunAsync(Ct);
        Assert.Equal(0, r.ChunksDeleted);
        var commit = await f.Store.CommitAsync(b, ctx => Task.FromResult<IEnumerable<Mutation>>(
            [new Mutation("k", MaintenanceFixture.Entry(again, ctx.Id, ctx.TimeUnixMs))]), "put", again.ReliesOnSince(started), Ct);
        Assert.Equal(data, await f.ReadAsync(commit!, "k"));

        // Without the freshening the same collection frees it: the chunk was really at risk.
        var orphan2 = await f.Store.Content.WriteAsync(new MemoryStream(MaintenanceFixture.Random(300_000, 8)), Ct);
        var path2 = Directory.EnumerateFiles(f.ChunkDir, orphan2.Chunks[0].Id.ToString(), SearchOption.AllDirectories).Single();
        File.SetLastWriteTimeUtc(path2, DateTime.UtcNow.AddHours(-2));
        Assert.Equal(1, (await f.Gc(TimeSpan.FromHours(1)).RunAsync(Ct)).ChunksDeleted);
        Assert.False(File.Exists(path2));
    }

    [Fact]
    public async Task ADeletedBranchStaysARootForTheGracePeriodSoACopyFromItSurvives()
    {
        using var f = new MaintenanceFixture(TimeSpan.FromSeconds(5));
        var master = new BucketRef("r", "master", null);
        var dev = new BucketRef("r", "dev", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        await f.Store.CreateBranchAsync("r", "dev", Ct);
        var data = MaintenanceFixture.Random(500_000, 9);
        var source = await f.PutAsync(dev, "src", data);
        // A copy reads its source, then the source branch is deleted and a collection runs before the copy commits.
        var started = DateTimeOffset.UtcNow;
        var entry = (await f.Store.GetFileAsync(source, "src", Ct))!;
        await f.Store.DeleteBranchAsync("r", "dev", Ct);
        var r = await f.Gc(TimeSpan.FromSeconds(20)).RunAsync(Ct);
        Assert.Equal(0, r.ChunksDeleted);
        var copy = await f.Store.CommitAsync(master, ctx => Task.FromResult<IEnumerable<Mutation>>(
            [new Mutation("dst", entry with { CommitId = ctx.Id, ModifiedUnixMs = ctx.TimeUnixMs })]), "copy", started, Ct);
        Assert.Equal(data, await f.ReadAsync(copy!, "dst"));
        // Past the grace period the deleted branch's own commit goes, the copied content stays.
        var later = await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        Assert.Equal(1, later.CommitsDeleted);
        Assert.Equal(data, await f.ReadAsync(copy!, "dst"));
        Assert.True((await f.Fsck().RunAsync(Ct)).Clean);
    }

    [Fact]
    public async Task OneRunAtATime()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var hold = new TaskCompletionSource();
        var reached = new TaskCompletionSource();
        var first = f.Gc(TimeSpan.Zero, async (phase, ct) =>
        {
            reached.TrySetResult();
            await hold.Task.WaitAsync(ct);
        }).RunAsync(Ct);
        await reached.Task;
        var e = await Assert.ThrowsAsync<StrataException>(() => f.Gc(TimeSpan.Zero).RunAsync(Ct));
        Assert.Equal(StoreError.GcRunning, e.Error);
        Assert.NotNull(await GarbageCollector.CurrentRunAsync(f.Meta, Ct));
        hold.SetResult();
        await first;
        Assert.NotNull(await GarbageCollector.LastResultAsync(f.Meta, Ct));
        await f.Gc(TimeSpan.Zero).RunAsync(Ct); // the lease was released
    }

    [Fact]
    public async Task SpillMergesRunsIntoOneSortedDistinctStream()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var rng = new Random(3);
        var all = Enumerable.Range(0, 5000).Select(_ => Hash.Of(BitConverter.GetBytes(rng.Next(3000)))).ToList();
        using var spill = new HashSpill(f.Dir, batchLimit: 97);
        foreach (var h in all) spill.Add(h, 42);
        var got = new List<Hash>();
        await foreach (var (id, len) in spill.ReadSortedAsync(Ct))
        {
            Assert.Equal(42, len);
            got.Add(id);
        }
        Assert.Equal(all.Distinct().Select(h => h.ToString()).Order(StringComparer.Ordinal), got.Select(h => h.ToString()));
    }
}

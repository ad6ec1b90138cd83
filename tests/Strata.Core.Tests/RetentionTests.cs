using Strata.Core.Maintenance;

namespace Strata.Core.Tests;

/// <summary>History retention squashes old commits out of a branch; what they alone held is collected; the rest reads as before.</summary>
public sealed class RetentionTests
{
    private static readonly CancellationToken Ct = MaintenanceFixture.Ct;

    [Fact]
    public async Task KeepLast50Of200()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var commits = new List<CommitInfo>();
        var stable = MaintenanceFixture.Random(200_000, 1);
        commits.Add(await f.PutAsync(b, "stable", stable)); // written once, first: current at every commit
        for (var i = 1; i < 200; i++) commits.Add(await f.PutAsync(b, "churn", MaintenanceFixture.Random(100_000, 1000 + i)));
        var before = f.ChunkBytes();

        await f.Store.Retention.SetAsync("r", new RetentionPolicy(50, null), Ct);
        Assert.Equal(1, await f.Store.Retention.ApplyAsync("r", Ct));
        var br = await f.Store.GetBranchAsync("r", "master", Ct);
        Assert.Equal(151, br.Floor);
        var snap = await f.Store.OpenAsync(b, Ct);

        // The 50 kept commits read as before, by id and by ancestry; the 150 below the floor are gone from history...
        for (var i = 150; i < 200; i++)
        {
            var c = await f.Store.ResolveVersionAsync(snap, commits[i].Id, Ct);
            Assert.NotNull(await f.Store.GetFileAsync(snap, c, "churn", Ct));
        }
        Assert.Equal(commits[150].Id, (await f.Store.ResolveRefAsync("r", "master~49", Ct))!.Id);
        Assert.Equal(StoreError.NoSuchVersion, (await Assert.ThrowsAsync<StrataException>(() => f.Store.ResolveRefAsync("r", "master~50", Ct))).Error);
        var squashed = await f.Store.ResolveVersionAsync(snap, commits[100].Id, Ct);
        Assert.Null(await f.Store.GetFileAsync(snap, squashed, "churn", Ct)); // a version only dropped commits held
        // ...but what a dropped commit wrote that is still current reads through the floor, under its own version id.
        var first = await f.Store.ResolveVersionAsync(snap, commits[0].Id, Ct);
        var kept = await f.Store.GetFileAsync(snap, first, "stable", Ct);
        Assert.Equal(commits[0].Id, kept!.CommitId);

        // The collection frees the 150 dropped versions of "churn" (about 15 MB) and keeps the rest whole.
        var r = await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        var after = f.ChunkBytes();
        Assert.True(r.ChunksDeleted >= 149, $"freed only {r.ChunksDeleted} chunks");
        Assert.True(before - after >= 149 * 100_000, $"{before} -> {after}");
        for (var i = 150; i < 200; i++) Assert.NotNull(await f.ReadAsync(commits[i], "churn"));
        Assert.Equal(stable, await f.ReadAsync(commits[199], "stable"));
        var fsck = await f.Fsck().RunAsync(Ct);
        Assert.True(fsck.Clean, string.Join("; ", fsck.Problems.Select(p => p.Detail)));
        Assert.Equal(0, await f.Store.Retention.ApplyAsync("r", Ct)); // floors only move when history grows
    }

    [Fact]
    public async Task ABranchFromOldHistoryKeepsWhatItNeeds()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var master = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var commits = new List<CommitInfo>();
        for (var i = 0; i < 40; i++) commits.Add(await f.PutAsync(master, "k", MaintenanceFixture.Random(50_000, i)));
        // dev starts at commit 10 of master and keeps its own last 5 (heights 6..10 of the shared history).
        await f.Store.CreateBranchAtAsync("r", "dev", commits[9], Ct);
        await f.Store.Retention.SetAsync("r", new RetentionPolicy(5, null), Ct);
        Assert.Equal(2, await f.Store.Retention.ApplyAsync("r", Ct));
        await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        for (var i = 5; i < 10; i++) Assert.NotNull(await f.ReadAsync(commits[i], "k")); // held by dev
        for (var i = 35; i < 40; i++) Assert.NotNull(await f.ReadAsync(commits[i], "k")); // held by master
        var dev = await f.Store.OpenAsync(new BucketRef("r", "dev", null), Ct);
        Assert.NotNull(await f.Store.GetFileAsync(dev, await f.Store.ResolveVersionAsync(dev, commits[7].Id, Ct), "k", Ct));
        Assert.True((await f.Fsck().RunAsync(Ct)).Clean);
    }
}

using System.Text;
using Strata.Core.Tree;

namespace Strata.Core.Tests;

/// <summary>Permanent version deletes (Purger): history rewritten in place, commit ids kept, writers never lost.</summary>
public sealed class PurgeTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly MaintenanceFixture _f = new(TimeSpan.FromHours(1));
    private readonly BucketRef _master = new("r", "master", null);

    public void Dispose() => _f.Dispose();

    private VersionedStore S => _f.Store;

    private Task<CommitInfo> Put(string key, string text, BucketRef? b = null) => _f.PutAsync(b ?? _master, key, Encoding.UTF8.GetBytes(text));

    private async Task<CommitInfo> Delete(string key, BucketRef? b = null) =>
        (await S.CommitAsync(b ?? _master, (_, _) => [new Mutation(key, null, Marker: true)], "delete", Ct))!;

    private async Task<string?> TextAt(CommitInfo c, string key) =>
        await _f.ReadAsync((await S.Commits.GetAsync(c.Id, Ct))!, key) is { } b ? Encoding.UTF8.GetString(b) : null;

    private async Task<CommitInfo> Head(string branch = "master") =>
        (await S.Commits.GetAsync((await S.GetBranchAsync("r", branch, Ct)).Head!, Ct))!;

    private async Task<List<string>> VersionsOf(string key) =>
        [.. (await S.Meta.ListVersionsAsync("r", key, key, long.MaxValue, 100, Ct)).Where(v => v.Key == key).Select(v => v.CommitId)];

    [Fact]
    public async Task PurgingTheCurrentVersionMakesThePreviousOneCurrentInEveryLaterCommit()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        var v1 = await Put("k", "one");
        var v2 = await Put("k", "two");
        var other = await Put("other", "x");

        var result = await S.Purges.PurgeAsync("r", "master", "k", v2.Id, false, "tester", Ct);

        Assert.Equal(["master"], result.Branches);
        Assert.Equal(2, result.CommitsRewritten); // v2 and the commit after it, which still held v2's entry
        Assert.Equal("one", await TextAt(await Head(), "k"));
        Assert.Equal("one", await TextAt(v2, "k"));
        Assert.Equal("one", await TextAt(v1, "k"));
        Assert.Equal("x", await TextAt(other, "other"));
        Assert.Equal(v1.Id, (await S.GetFileAsync(await Head(), "k", Ct))!.CommitId);
        Assert.Equal([v1.Id], await VersionsOf("k"));
        Assert.True(await S.Meta.WasPurgedAsync("r", "k", v2.Id, Ct));
        // Commit ids and the chain stay as they were.
        Assert.Equal(other.Id, (await Head()).Id);
        Assert.Equal(v2.Id, (await Head()).Parent);
        Assert.Equal(v1.Id, (await S.Commits.GetAsync(v2.Id, Ct))!.Parent);
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);
    }

    [Fact]
    public async Task PurgingAnOlderVersionRewritesOnlyTheCommitsThatHeldIt()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        var v1 = await Put("k", "one");
        var v2 = await Put("k", "two");
        var mid = await Put("other", "x");
        var v3 = await Put("k", "three");

        var result = await S.Purges.PurgeAsync("r", "master", "k", v2.Id, false, "tester", Ct);

        Assert.Equal(2, result.CommitsRewritten);
        Assert.Equal("one", await TextAt(mid, "k"));
        Assert.Equal("three", await TextAt(v3, "k"));
        Assert.Equal([v3.Id, v1.Id], await VersionsOf("k"));
    }

    [Fact]
    public async Task PurgingTheFirstVersionLeavesTheKeyAbsentUntilItsNextOne()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        var v1 = await Put("k", "one");
        var v2 = await Put("k", "two");
        await S.Purges.PurgeAsync("r", "master", "k", v1.Id, false, "tester", Ct);
        Assert.Null(await TextAt(v1, "k"));
        Assert.Equal("two", await TextAt(v2, "k"));
        Assert.Equal([v2.Id], await VersionsOf("k"));
        // The only version gone: the branch's first commit now has an empty tree.
        await S.Purges.PurgeAsync("r", "master", "k", v2.Id, false, "tester", Ct);
        Assert.Null(await TextAt(v2, "k"));
        Assert.Null((await S.Commits.GetAsync(v1.Id, Ct))!.Root);
        Assert.Empty(await VersionsOf("k"));
    }

    [Fact]
    public async Task PurgingADeleteMarkerBringsThePreviousVersionBack()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        var v1 = await Put("k", "one");
        var dm = await Delete("k");
        var later = await Put("other", "x");
        Assert.Null(await TextAt(later, "k"));

        var result = await S.Purges.PurgeAsync("r", "master", "k", dm.Id, false, "tester", Ct);

        Assert.True(result.WasDeleteMarker);
        Assert.Equal("one", await TextAt(later, "k"));
        Assert.Equal([v1.Id], await VersionsOf("k"));
    }

    [Fact]
    public async Task AVersionOtherBranchesHoldIsErasedEverywhereOrNowhere()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        var v1 = await Put("k", "one");
        var v2 = await Put("k", "two");
        Assert.True(await S.CreateBranchAtAsync("r", "dev", v2, Ct));
        var onDev = await Put("dev-only", "d", new BucketRef("r", "dev", null));

        var e = await Assert.ThrowsAsync<StrataException>(() => S.Purges.PurgeAsync("r", "master", "k", v2.Id, false, "tester", Ct));
        Assert.Equal(StoreError.VersionShared, e.Error);
        Assert.Contains("dev", e.Message);
        Assert.Equal("two", await TextAt(await Head(), "k"));
        Assert.Equal("two", await TextAt(onDev, "k"));

        var result = await S.Purges.PurgeAsync("r", "master", "k", v2.Id, true, "tester", Ct);
        Assert.Equal(["dev", "master"], result.Branches.Order());
        Assert.Equal("one", await TextAt(await Head(), "k"));
        Assert.Equal("one", await TextAt(onDev, "k")); // dev's own commit after the fork held v2 too
        Assert.Equal("d", await TextAt(onDev, "dev-only"));
        Assert.Equal([v1.Id], await VersionsOf("k"));
    }

    [Fact]
    public async Task AVersionNotOnTheBranchOrNotOfTheKeyIsNoSuchVersion()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        await S.CreateBranchAsync("r", "dev", Ct);
        var onDev = await Put("k", "d", new BucketRef("r", "dev", null));
        var v1 = await Put("k", "one");
        Assert.Equal(StoreError.NoSuchVersion, (await Assert.ThrowsAsync<StrataException>(() => S.Purges.PurgeAsync("r", "master", "k", onDev.Id, false, "t", Ct))).Error);
        Assert.Equal(StoreError.NoSuchVersion, (await Assert.ThrowsAsync<StrataException>(() => S.Purges.PurgeAsync("r", "master", "nope", v1.Id, false, "t", Ct))).Error);
        Assert.Equal(StoreError.NoSuchVersion, (await Assert.ThrowsAsync<StrataException>(() => S.Purges.PurgeAsync("r", "master", "k", CommitId.New(), false, "t", Ct))).Error);
        Assert.Equal("one", await TextAt(v1, "k"));
    }

    [Fact]
    public async Task AnOpenCommitOnTheBranchRefusesThePurge()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        var v1 = await Put("k", "one");
        await S.StartCommitAsync("r", "master", Ct);
        Assert.Equal(StoreError.CommitOpen, (await Assert.ThrowsAsync<StrataException>(() => S.Purges.PurgeAsync("r", "master", "k", v1.Id, false, "t", Ct))).Error);
        await S.AbandonCommitAsync("r", "master", Ct);
        await S.Purges.PurgeAsync("r", "master", "k", v1.Id, false, "t", Ct);
    }

    [Fact]
    public async Task WritersDuringAPurgeAreNeverLost()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        await Put("secret", "oops");
        var bad = await Put("secret", "leaked");
        using var stop = new CancellationTokenSource();
        var written = new System.Collections.Concurrent.ConcurrentBag<string>();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 200; i++)
            {
                await Put($"w{w}/{i}", $"{w}.{i}");
                written.Add($"w{w}/{i}");
            }
        })).ToList();
        await Task.Delay(50);
        // A second store on the same files: another node, whose writers race the purge's CAS rather than its lock.
        var other = new VersionedStore(new Strata.Storage.Sqlite.SqliteMetadataStore(_f.DbPath), _f.Chunks);
        await other.Purges.PurgeAsync("r", "master", "secret", bad.Id, false, "t", Ct);
        await Task.Delay(50);
        stop.Cancel();
        await Task.WhenAll(writers);

        var head = await Head();
        Assert.Equal("oops", await TextAt(head, "secret"));
        foreach (var key in written) Assert.NotNull(await S.GetFileAsync(head, key, Ct));
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);
    }

    [Fact]
    public async Task GcFreesWhatOnlyThePurgedVersionHeld()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        await _f.PutAsync(_master, "k", MaintenanceFixture.Random(1 << 20, 1));
        var bad = await _f.PutAsync(_master, "k", MaintenanceFixture.Random(3 << 20, 2));
        var before = _f.ChunkBytes();
        var oldRoot = (await S.Commits.GetAsync(bad.Id, Ct))!.Root;
        await Task.Delay(TimeSpan.FromSeconds(5)); // older than the grace period below
        await S.Purges.PurgeAsync("r", "master", "k", bad.Id, false, "t", Ct);
        // Within the grace period the replaced tree is still a root: a reader that opened it before the purge can finish.
        var kept = await _f.Gc(TimeSpan.FromSeconds(4)).RunAsync(Ct);
        Assert.Equal(0, kept.ChunksDeleted);
        var stale = await TreeReader.GetAsync(S.Nodes, oldRoot, "k", Ct);
        Assert.Equal(bad.Id, stale!.CommitId);
        var ms = new MemoryStream();
        await ContentReader.CopyToAsync(_f.Chunks, stale, 0, stale.Size, ms, Ct);
        Assert.Equal(MaintenanceFixture.Random(3 << 20, 2), ms.ToArray());
        var gc = await _f.Gc(TimeSpan.Zero).RunAsync(Ct);
        Assert.True(gc.ChunkBytesFreed >= 3 << 20, $"freed {gc.ChunkBytesFreed}");
        Assert.True(_f.ChunkBytes() <= before - (3 << 20));
        Assert.Equal(MaintenanceFixture.Random(1 << 20, 1), await _f.ReadAsync(await Head(), "k"));
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);
    }

    [Fact]
    public async Task ABatchErasesSeveralVersionsOfSeveralKeysAtOnce()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        var a1 = await Put("k", "a1");
        var a2 = await Put("k", "a2");
        var b1 = await Put("j", "b1");
        var a3 = await Put("k", "a3");
        var bogus = CommitId.New();

        var outcomes = await S.Purges.PurgeManyAsync("r", "master",
            [KeyValuePair.Create("k", a2.Id), KeyValuePair.Create("k", a1.Id), KeyValuePair.Create("j", b1.Id), KeyValuePair.Create("k", bogus)], false, "t", Ct);

        Assert.Equal([true, true, true, false], outcomes.Select(o => o.Result is not null));
        Assert.Equal(StoreError.NoSuchVersion, outcomes[3].Error!.Error);
        Assert.Null(await TextAt(a1, "k"));
        Assert.Null(await TextAt(a2, "k"));
        Assert.Null(await TextAt(b1, "k"));
        Assert.Equal("a3", await TextAt(a3, "k"));
        Assert.Null(await TextAt(a3, "j"));
        Assert.Equal([a3.Id], await VersionsOf("k"));
        Assert.Empty(await VersionsOf("j"));
        Assert.Null((await S.Commits.GetAsync(a1.Id, Ct))!.Root);
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ARandomHistoryWithRandomVersionsErasedMatchesAModel(int seed)
    {
        // Model: after erasing, a key at a commit is its latest version at or below it that was kept.
        await S.CreateBranchAsync("r", "master", Ct);
        var rng = new Random(seed);
        var keys = new[] { "a", "b", "c" };
        var history = new List<(CommitInfo Commit, string Key, string? Text)>();
        for (var i = 0; i < 40; i++)
        {
            var key = keys[rng.Next(keys.Length)];
            history.Add(rng.Next(4) == 0 ? (await Delete(key), key, null) : (await Put(key, $"{key}{i}"), key, $"{key}{i}"));
        }
        var erase = history.Where(_ => rng.Next(3) == 0).ToList();
        var outcomes = await S.Purges.PurgeManyAsync("r", "master", erase.Select(h => KeyValuePair.Create(h.Key, h.Commit.Id)).ToList(), false, "t", Ct);
        Assert.All(outcomes, o => Assert.Null(o.Error));
        var gone = erase.Select(h => h.Commit.Id).ToHashSet();
        for (var i = 0; i < history.Count; i++)
            foreach (var key in keys)
            {
                var expected = history.Take(i + 1).LastOrDefault(h => h.Key == key && !gone.Contains(h.Commit.Id)).Text;
                Assert.Equal(expected, await TextAt(history[i].Commit, key));
            }
        foreach (var key in keys)
            Assert.Equal(history.Where(h => h.Key == key && !gone.Contains(h.Commit.Id)).Select(h => h.Commit.Id).Reverse(), await VersionsOf(key));
        Assert.Empty((await _f.Fsck().RunAsync(Ct)).Problems);
    }

    /// <summary>Runs an action (another node's purge) just before the first explicit commit is stored.</summary>
    private sealed class PurgeBeforeStart(Strata.Core.Storage.IMetadataStore inner, Func<Task> before) : DelegatingMetadataStore(inner)
    {
        private int _calls;
        public override async Task<bool> StartCommitAsync(OpenCommit commit, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _calls) == 1) await before();
            return await base.StartCommitAsync(commit, ct);
        }
    }

    [Fact]
    public async Task AnExplicitCommitStartedAcrossAPurgeBuildsOnTheRewrittenTree()
    {
        await S.CreateBranchAsync("r", "master", Ct);
        await Put("k", "one");
        var bad = await Put("k", "leaked");
        var otherNode = new VersionedStore(new Strata.Storage.Sqlite.SqliteMetadataStore(_f.DbPath), _f.Chunks);
        var racing = new VersionedStore(new PurgeBeforeStart(new Strata.Storage.Sqlite.SqliteMetadataStore(_f.DbPath),
            () => otherNode.Purges.PurgeAsync("r", "master", "k", bad.Id, false, "t", Ct)), _f.Chunks);

        var open = await racing.StartCommitAsync("r", "master", Ct);

        Assert.Equal((await Head()).Root, open.Root);
        Assert.Equal("one", Encoding.UTF8.GetString((await _f.ReadAsync(new CommitInfo(open.Id, "r", open.Base, open.Root, 0, null, open.Started, ""), "k"))!));
        Assert.Equal(open.Id, (await S.Meta.GetOpenCommitAsync("r", "master", Ct))!.Id);
    }
}

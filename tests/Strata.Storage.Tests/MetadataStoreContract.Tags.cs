using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Tests;

// Object tags per version and per-bucket configuration documents.
public abstract partial class MetadataStoreContract
{
    /// <summary>Another store instance on the same database (as another node or process would open it).</summary>
    protected abstract Task<IMetadataStore> OpenSecondAsync();

    [Fact]
    public async Task ABranchReadSaysWhetherItsRepoMayHaveObjectTagsAsAnotherInstanceSetsThem()
    {
        var other = await OpenSecondAsync();
        try
        {
            Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
            Assert.True(await Store.CreateBranchAsync("r2", "master", null, T0, Ct));
            Assert.False((await other.GetBranchAsync("r", "master", Ct))!.MayHaveObjectTags);
            Assert.False((await Store.GetBranchAsync("r", "master", Ct))!.MayHaveObjectTags);

            // The reader has just read the branch (and may keep it): a tag set through the other instance shows at once.
            await Store.SetObjectTagsAsync("r", "k", "c1", [new("a", "1")], Ct);
            Assert.True((await other.GetBranchAsync("r", "master", Ct))!.MayHaveObjectTags);
            Assert.True((await Store.GetBranchAsync("r", "master", Ct))!.MayHaveObjectTags);
            Assert.False((await other.GetBranchAsync("r2", "master", Ct))!.MayHaveObjectTags);
            // Replacing tags and removing them leaves the marker: it may only err towards looking.
            await other.SetObjectTagsAsync("r", "k", "c1", [new("b", "2")], Ct);
            await other.SetObjectTagsAsync("r", "k", "c1", [], Ct);
            Assert.True((await Store.GetBranchAsync("r", "master", Ct))!.MayHaveObjectTags);
            // A repo made again under a tagged name is marked too (old tag rows may outlive it).
            Assert.True(await Store.CreateBranchAsync("r", "dev", null, T0, Ct));
            Assert.True((await other.GetBranchAsync("r", "dev", Ct))!.MayHaveObjectTags);

            // Heads moved through one instance are read through the other, both ways.
            var c1 = await CommitOnAsync("r2", "master");
            Assert.Equal(c1.Id, (await other.GetBranchAsync("r2", "master", Ct))!.Head);
            var c2 = Commit("r2", 2, c1.Id);
            Assert.True(await other.TryCommitAsync("master", c1.Id, c2, [], [], Ct));
            Assert.Equal(c2.Id, (await Store.GetBranchAsync("r2", "master", Ct))!.Head);
            Assert.True(await other.DeleteBranchAsync("r2", "master", Ct));
            Assert.Null(await Store.GetBranchAsync("r2", "master", Ct));
        }
        finally
        {
            if (other is IAsyncDisposable ad) await ad.DisposeAsync();
            else if (other is IDisposable d) d.Dispose();
        }
    }

    [Fact]
    public async Task ObjectTagsBelongToOneVersionOfOneKeyAndKeepTheirOrderAndCharacters()
    {
        Assert.Empty(await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        List<KeyValuePair<string, string>> tags = [new("z", "1"), new("a b&c=d", "wert ü %20+"), new("empty", "")];
        await Store.SetObjectTagsAsync("r", "k", "c1", tags, Ct);
        Assert.Equal(tags, await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        // Another version, key or repo has its own (none).
        Assert.Empty(await Store.GetObjectTagsAsync("r", "k", "c2", Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r", "K", "c1", Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r2", "k", "c1", Ct));
        await Store.SetObjectTagsAsync("r", "k", "c2", [new("v", "2")], Ct);

        // Replacing is whole; an empty set removes them; removing what is not there is fine.
        await Store.SetObjectTagsAsync("r", "k", "c1", [new("only", "one")], Ct);
        Assert.Equal([new("only", "one")], await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        await Store.SetObjectTagsAsync("r", "k", "c1", [], Ct);
        Assert.Empty(await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        await Store.SetObjectTagsAsync("r", "k", "c1", [], Ct);
        Assert.Equal([new("v", "2")], await Store.GetObjectTagsAsync("r", "k", "c2", Ct));
    }

    [Fact]
    public async Task TagsOfANewVersionAreStoredWithItsCommitAndNotWhenTheCommitLosesItsRace()
    {
        Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
        List<KeyValuePair<string, string>> tags = [new("team", "ml"), new("pii", "no")];
        var first = Commit("r", 1);
        VersionRow Row(CommitInfo c, string key, IReadOnlyList<KeyValuePair<string, string>>? t) =>
            new(key, c.Id, c.Height, false, 1, "e", c.TimeUnixMs) { Tags = t };
        Assert.True(await Store.TryCommitChainAsync("master", null, [new NewCommit(first, [Row(first, "tagged", tags), Row(first, "plain", null)])], [], 999, Ct));
        Assert.Equal(tags, await Store.GetObjectTagsAsync("r", "tagged", first.Id, Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r", "plain", first.Id, Ct));
        // A commit whose CAS fails (the head moved) stores nothing, its tags included.
        var lost = Commit("r", 1, message: "lost");
        Assert.False(await Store.TryCommitChainAsync("master", null, [new NewCommit(lost, [Row(lost, "tagged", tags)])], [], 999, Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r", "tagged", lost.Id, Ct));
    }

    [Fact]
    public async Task TagsOfCommitsThatGcDeletesGoWithThem()
    {
        Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
        List<KeyValuePair<string, string>> tags = [new("team", "ml")];
        var gone = Commit("r", 1);
        var kept = Commit("r", 2, parent: gone.Id);
        VersionRow Row(CommitInfo c, string key) => new(key, c.Id, c.Height, false, 1, "e", c.TimeUnixMs) { Tags = tags };
        Assert.True(await Store.TryCommitChainAsync("master", null,
            [new NewCommit(gone, [Row(gone, "a"), Row(gone, "b")]), new NewCommit(kept, [Row(kept, "a")])], [], 999, Ct));
        Assert.Equal(1, await Store.DeleteCommitsAsync([gone.Id], gone.TimeUnixMs + 1, Ct));
        // No tag row is left behind for a version whose commit is gone; the other commit's stay.
        Assert.Empty(await Store.GetObjectTagsAsync("r", "a", gone.Id, Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r", "b", gone.Id, Ct));
        Assert.Equal(tags, await Store.GetObjectTagsAsync("r", "a", kept.Id, Ct));
    }

    [Fact]
    public async Task BucketConfigurationIsKeptPerBranchAndKindAndGoesWithTheBranch()
    {
        Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
        Assert.True(await Store.CreateBranchAsync("r", "dev", null, T0, Ct));
        Assert.Null(await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Cors, "<CORSConfiguration>ü</CORSConfiguration>", Ct);
        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, "a=1", Ct);
        await Store.SetBucketConfigAsync("r", "dev", BucketConfigKind.Cors, "dev rules", Ct);
        Assert.Equal("<CORSConfiguration>ü</CORSConfiguration>", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        Assert.Equal("a=1", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, Ct));
        Assert.Equal("dev rules", await Store.GetBucketConfigAsync("r", "dev", BucketConfigKind.Cors, Ct));
        Assert.Null(await Store.GetBucketConfigAsync("r", "Master", BucketConfigKind.Cors, Ct));

        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Cors, "new", Ct);
        Assert.Equal("new", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Cors, null, Ct);
        Assert.Null(await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        Assert.Equal("a=1", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, Ct));

        await Store.DeleteBucketConfigsAsync("r", "master", Ct);
        Assert.Null(await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, Ct));
        Assert.Equal("dev rules", await Store.GetBucketConfigAsync("r", "dev", BucketConfigKind.Cors, Ct));
    }
}
